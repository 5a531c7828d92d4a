package io.qfence.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNetns;
import io.qfence.testing.LoopbackHttp;
import io.qfence.testing.LoopbackHttp.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The operator interface over real HTTP, server and client inside a namespace this class creates: health,
 * readiness, metrics, and the signed webhook with every way of getting it wrong.
 */
@RequiresHost(tools = "ip")
class OperatorServerTest {

    private static final String SECRET = "It's a Secret to Everybody";
    private static final byte[] PUSH = "{\"ref\":\"refs/heads/main\",\"after\":\"0123456789abcdef\"}"
            .getBytes(StandardCharsets.UTF_8);

    private static TestNetns netns;

    private final AtomicLong nanos = new AtomicLong(5_000_000_000L);
    private final AtomicReference<Optional<String>> notReady = new AtomicReference<>(Optional.of("no revision applied yet"));
    private final List<GitWebhook.Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private QfenceMetrics metrics;
    private OperatorServer server;

    @BeforeAll
    static void createNamespace() {
        netns = TestNetns.create("http");
    }

    @AfterAll
    static void deleteNamespace() {
        if (netns != null) {
            netns.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        logs.start();
        ((Logger) LoggerFactory.getLogger(GitWebhook.class)).addAppender(logs);
        metrics = QfenceMetrics.create();
        GitWebhook webhook = new GitWebhook(WebhookSecret.of(SECRET),
                new RateLimiter(new RateLimiter.Buckets(3, Duration.ofMinutes(1), 100, Duration.ofMillis(1), 64), nanos::get),
                deliveries::add, metrics, 1024, nanos::get);
        server = netns.call(() -> OperatorServer.start(OperatorServer.Bind.localhost(0), metrics.registry(),
                notReady::get, Optional.of(webhook)));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        ((Logger) LoggerFactory.getLogger(GitWebhook.class)).detachAppender(logs);
    }

    @Test
    void itListensOnLoopbackOnly() {
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(OperatorServer.Bind.localhost(9477).address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void healthIsAlwaysOkAndReadinessFollowsTheDaemon() throws Exception {
        assertThat(get("/healthz")).isEqualTo(new Response(200, "ok\n"));
        assertThat(get("/readyz")).isEqualTo(new Response(503, "not ready: no revision applied yet\n"));

        notReady.set(Optional.empty());

        assertThat(get("/readyz")).isEqualTo(new Response(200, "ready\n"));
    }

    @Test
    void metricsAreServedInThePrometheusTextFormat() throws Exception {
        metrics.cycleFinished(Outcome.APPLIED);

        Response response = get("/metrics");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).contains("# TYPE qfence_cycles_total counter\n",
                "qfence_cycles_total{result=\"applied\"} 1.0\n", "# TYPE qfence_apply_duration_seconds histogram\n",
                "# TYPE qfence_guests gauge\n");
    }

    @Test
    void onlyExactPathsAndReadMethodsAreServed() throws Exception {
        assertThat(send("POST", "/healthz", new byte[0], Map.of()).status()).isEqualTo(405);
        assertThat(get("/healthzz").status()).isEqualTo(404);
        assertThat(get("/").status()).isEqualTo(404);
        assertThat(get("/admin").status()).isEqualTo(404);
    }

    @Test
    void aCorrectlySignedPushTriggersACycle() throws Exception {
        Response response = send("POST", "/hooks/git", PUSH, Map.of(
                "X-Hub-Signature-256", WebhookSecret.of(SECRET).header(PUSH),
                "X-GitHub-Event", "push", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958",
                "Content-Type", "application/json"));

        assertThat(response.status()).isEqualTo(204);
        assertThat(deliveries).containsExactly(
                new GitWebhook.Delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958", "push", "127.0.0.1"));
        assertThat(scrape()).contains("qfence_webhook_requests_total{result=\"accepted\"} 1.0");
    }

    @Test
    void badSignaturesAreRefusedLoggedAndTriggerNothing() throws Exception {
        String forged = WebhookSecret.of("guessed").header(PUSH);

        assertThat(send("POST", "/hooks/git", PUSH, Map.of("X-Hub-Signature-256", forged)).status()).isEqualTo(401);
        assertThat(send("POST", "/hooks/git", PUSH, Map.of()).status()).isEqualTo(401);
        assertThat(send("POST", "/hooks/git", PUSH, Map.of("X-Hub-Signature-256", "sha256=abc")).status()).isEqualTo(401);

        assertThat(deliveries).isEmpty();
        assertThat(refusals()).containsExactly(
                "status=401 result=bad-signature reason=signature does not match the body",
                "status=401 result=unsigned reason=no X-Hub-Signature-256 header",
                "status=401 result=bad-signature reason=malformed X-Hub-Signature-256 header");
        assertThat(logs.list).allSatisfy(event -> {
            String logged = event.getFormattedMessage() + event.getKeyValuePairs();
            assertThat(logged).doesNotContain(SECRET).doesNotContain("refs/heads/main").doesNotContain(forged);
        });
        assertThat(scrape()).contains("qfence_webhook_requests_total{result=\"bad-signature\"} 2.0",
                "qfence_webhook_requests_total{result=\"unsigned\"} 1.0");
    }

    @Test
    void otherMethodsAreRefused() throws Exception {
        Response response = send("GET", "/hooks/git", null, Map.of());

        assertThat(response.status()).isEqualTo(405);
        assertThat(refusals()).containsExactly("status=405 result=bad-method reason=method GET");
    }

    @Test
    void oversizeBodiesAreRefusedWhetherDeclaredOrStreamed() throws Exception {
        byte[] big = new byte[1100];
        String header = WebhookSecret.of(SECRET).header(big);

        // declared: refused from the header, before the body is read
        assertThat(rawStatus("POST /hooks/git HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n"
                + "X-Hub-Signature-256: " + header + "\r\n\r\n")).isEqualTo(413);
        // streamed without a length: refused once the cap is passed
        assertThat(sendChunked("/hooks/git", big, header)).isEqualTo(413);

        assertThat(deliveries).isEmpty();
        assertThat(refusals()).containsExactly(
                "status=413 result=too-large reason=declared body larger than 1024 bytes",
                "status=413 result=too-large reason=body larger than 1024 bytes");
    }

    @Test
    void aClientOverItsRateIsToldToWaitEvenWithAValidSignature() throws Exception {
        Map<String, String> signed = Map.of("X-Hub-Signature-256", WebhookSecret.of(SECRET).header(PUSH));
        for (int i = 0; i < 3; i++) {
            assertThat(send("POST", "/hooks/git", PUSH, signed).status()).isEqualTo(204);
        }

        Response limited = send("POST", "/hooks/git", PUSH, signed);

        assertThat(limited.status()).isEqualTo(429);
        assertThat(deliveries).hasSize(3);
        assertThat(refusals()).containsExactly("status=429 result=rate-limited reason=too many requests");

        nanos.addAndGet(Duration.ofMinutes(1).toNanos());
        assertThat(send("POST", "/hooks/git", PUSH, signed).status()).isEqualTo(204);
    }

    @Test
    void aFloodIsCountedInFullButLoggedSparingly() throws Exception {
        for (int i = 0; i < 40; i++) {
            send("POST", "/hooks/git", PUSH, Map.of());
        }

        assertThat(scrape()).contains("qfence_webhook_requests_total{result=\"rate-limited\"} 37.0",
                "qfence_webhook_requests_total{result=\"unsigned\"} 3.0");
        assertThat(logs.list).hasSize(20);
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        send("POST", "/hooks/git", PUSH, Map.of());
        ILoggingEvent last = logs.list.get(logs.list.size() - 1);
        assertThat(last.getKeyValuePairs()).anySatisfy(kv -> {
            assertThat(kv.key).isEqualTo("suppressed");
            assertThat(kv.value).isEqualTo(20L);
        });
    }

    private List<String> refusals() {
        return logs.list.stream().filter(e -> e.getFormattedMessage().equals("webhook refused"))
                .map(e -> e.getKeyValuePairs().stream().filter(kv -> !kv.key.equals("client") && !kv.key.equals("suppressed"))
                        .map(kv -> kv.key + "=" + kv.value).collect(Collectors.joining(" ")))
                .collect(Collectors.toList());
    }

    private String scrape() throws Exception {
        return get("/metrics").body();
    }

    private Response get(String path) throws Exception {
        return send("GET", path, null, Map.of());
    }

    private Response send(String method, String path, byte[] body, Map<String, String> headers) throws Exception {
        return netns.call(() -> LoopbackHttp.send(server.address().getPort(), method, path, body, headers));
    }

    private int sendChunked(String path, byte[] body, String signature) throws Exception {
        return netns.call(() -> {
            HttpURLConnection connection = (HttpURLConnection) new URL("http://127.0.0.1:"
                    + server.address().getPort() + path).openConnection();
            try {
                connection.setRequestMethod("POST");
                connection.setRequestProperty("X-Hub-Signature-256", signature);
                connection.setDoOutput(true);
                connection.setChunkedStreamingMode(256);
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body);
                }
                return connection.getResponseCode();
            } finally {
                connection.disconnect();
            }
        });
    }

    /** Sends raw request bytes and returns the status of the response, for requests HttpURLConnection won't make. */
    private int rawStatus(String request) throws Exception {
        return netns.call(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", server.address().getPort()), 5000);
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                InputStream in = socket.getInputStream();
                for (int b; (b = in.read()) != -1 && b != '\n'; ) {
                    line.write(b);
                }
                return Integer.parseInt(line.toString(StandardCharsets.US_ASCII).split(" ")[1]);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
