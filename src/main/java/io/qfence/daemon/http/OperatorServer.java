package io.qfence.daemon.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's HTTP interface for operators: {@code /healthz}, {@code /readyz}, {@code /metrics} (Prometheus text,
 * or what the scraper's Accept header asks for), and optionally {@code POST /hooks/git}. It binds to the loopback
 * address unless told otherwise: exposing it is a decision, not a default.
 */
public final class OperatorServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OperatorServer.class);

    static {
        // Bound how long a client may take to send a request, so two slow clients cannot hold both worker threads.
        // Read once, when the JDK's HTTP server is first used; an explicit setting wins.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "30");
        }
    }

    /** Where to listen. */
    public record Bind(InetSocketAddress address) {
        public Bind {
            Objects.requireNonNull(address, "address");
        }

        /** {@code 127.0.0.1:port}, the default. */
        public static Bind localhost(int port) {
            return new Bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
    }

    private final HttpServer server;
    private final ExecutorService workers;

    private OperatorServer(HttpServer server, ExecutorService workers) {
        this.server = server;
        this.workers = workers;
    }

    public static OperatorServer start(Bind bind, PrometheusRegistry registry, Readiness readiness,
                                       Optional<GitWebhook> webhook) throws IOException {
        HttpServer server = HttpServer.create(bind.address(), 16);
        AtomicInteger count = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "qfence-http-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(workers);
        ExpositionFormats formats = ExpositionFormats.init();
        server.createContext("/", exchange -> {
            try (exchange) {
                exchange.sendResponseHeaders(404, -1);
            }
        });
        server.createContext("/healthz", exchange -> respond(exchange, "/healthz", 200, "ok\n"));
        server.createContext("/readyz", exchange -> {
            Optional<String> reason = readiness.notReadyBecause();
            respond(exchange, "/readyz", reason.isPresent() ? 503 : 200,
                    reason.map(r -> "not ready: " + r + "\n").orElse("ready\n"));
        });
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                if (!readOnly(exchange, "/metrics")) {
                    return;
                }
                ExpositionFormatWriter writer = formats.findWriter(exchange.getRequestHeaders().getFirst("Accept"));
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                writer.write(body, registry.scrape());
                exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
                send(exchange, 200, body.toByteArray());
            } catch (IOException | RuntimeException e) {
                LOG.atWarn().addKeyValue("error", e.toString()).log("metrics scrape failed");
                throw e;
            }
        });
        webhook.ifPresent(hook -> server.createContext(GitWebhook.PATH, hook));
        server.start();
        LOG.atInfo().addKeyValue("address", server.getAddress().toString())
                .addKeyValue("webhook", webhook.isPresent()).log("operator interface listening");
        return new OperatorServer(server, workers);
    }

    /** The bound address (the port is the real one when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }

    private static void respond(HttpExchange exchange, String path, int status, String text) throws IOException {
        try (exchange) {
            if (!readOnly(exchange, path)) {
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            send(exchange, status, text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Exact path, GET or HEAD; otherwise answers 404 or 405 and returns false. */
    private static boolean readOnly(HttpExchange exchange, String path) throws IOException {
        if (!path.equals(exchange.getRequestURI().getPath())) {
            exchange.sendResponseHeaders(404, -1);
            return false;
        }
        String method = exchange.getRequestMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            exchange.sendResponseHeaders(405, -1);
            return false;
        }
        return true;
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
