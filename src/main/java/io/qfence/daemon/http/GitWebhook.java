package io.qfence.daemon.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.qfence.daemon.metrics.QfenceMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /hooks/git}: a push notification that asks for an immediate cycle. Only a request whose body is signed
 * with the shared secret (GitHub's {@code X-Hub-Signature-256}) is accepted; everything else is refused with the
 * status that says why. Every request is rate limited before anything else is looked at, so a flood costs neither
 * HMAC computations nor cycles, and every refusal is logged (client, reason, status; never the body or the secret)
 * and counted in {@code qfence_webhook_requests_total}.
 *
 * <p>The listener is called on the HTTP thread and should only record the request (e.g. trigger a Quartz job): the
 * sender is waiting for the answer.
 */
public final class GitWebhook implements HttpHandler {

    public static final String PATH = "/hooks/git";
    /** GitHub caps payloads at 25 MB; push payloads are a few KB. Anything bigger is not a notification we need. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(GitWebhook.class);

    /** Told about each accepted delivery. */
    @FunctionalInterface
    public interface PushListener {
        void onDelivery(Delivery delivery);
    }

    /**
     * @param id    GitHub's {@code X-GitHub-Delivery}, sanitized, or {@code "-"}
     * @param event GitHub's {@code X-GitHub-Event} (e.g. {@code push}, {@code ping}), sanitized, or {@code "-"}
     */
    public record Delivery(String id, String event, String client) {}

    private final WebhookSecret secret;
    private final RateLimiter limiter;
    private final PushListener listener;
    private final QfenceMetrics metrics;
    private final int maxBodyBytes;
    private final TokenBucket logBudget;
    private long suppressedLogs;

    public GitWebhook(WebhookSecret secret, RateLimiter limiter, PushListener listener, QfenceMetrics metrics,
                      int maxBodyBytes, LongSupplier nanoClock) {
        this.secret = Objects.requireNonNull(secret, "secret");
        this.limiter = Objects.requireNonNull(limiter, "limiter");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
        }
        this.maxBodyBytes = maxBodyBytes;
        // refusals are logged, but a flood must not flood the log: 20 lines at once, then 1 a second
        this.logBudget = new TokenBucket(20, Duration.ofSeconds(1), nanoClock);
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String client = exchange.getRemoteAddress().getAddress().getHostAddress();
            if (!PATH.equals(exchange.getRequestURI().getPath())) {
                refuse(exchange, client, 404, "not-found", "no such path");
                return;
            }
            Optional<Duration> wait = limiter.admit(client);
            if (wait.isPresent()) {
                exchange.getResponseHeaders().set("Retry-After", Long.toString(Math.max(1, wait.get().toSeconds())));
                refuse(exchange, client, 429, "rate-limited", "too many requests");
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "POST");
                refuse(exchange, client, 405, "bad-method", "method " + sanitize(exchange.getRequestMethod()));
                return;
            }
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            if (length != null && !fitsIn(length)) {
                refuse(exchange, client, 413, "too-large", "declared body larger than " + maxBodyBytes + " bytes");
                return;
            }
            byte[] body = readAtMost(exchange.getRequestBody(), maxBodyBytes + 1);
            if (body.length > maxBodyBytes) {
                refuse(exchange, client, 413, "too-large", "body larger than " + maxBodyBytes + " bytes");
                return;
            }
            switch (secret.check(exchange.getRequestHeaders().getFirst("X-Hub-Signature-256"), body)) {
                case MISSING -> refuse(exchange, client, 401, "unsigned", "no X-Hub-Signature-256 header");
                case MALFORMED -> refuse(exchange, client, 401, "bad-signature", "malformed X-Hub-Signature-256 header");
                case MISMATCH -> refuse(exchange, client, 401, "bad-signature", "signature does not match the body");
                case VALID -> accept(exchange, client);
            }
        } catch (IOException | RuntimeException e) {
            metrics.webhookRequest("error");
            LOG.atWarn().addKeyValue("error", e.toString()).log("webhook request failed");
            throw e;
        }
    }

    private void accept(HttpExchange exchange, String client) throws IOException {
        Delivery delivery = new Delivery(sanitize(exchange.getRequestHeaders().getFirst("X-GitHub-Delivery")),
                sanitize(exchange.getRequestHeaders().getFirst("X-GitHub-Event")), client);
        listener.onDelivery(delivery);
        metrics.webhookRequest("accepted");
        LOG.atInfo().addKeyValue("client", client).addKeyValue("delivery", delivery.id())
                .addKeyValue("event", delivery.event()).log("webhook accepted: cycle requested");
        exchange.sendResponseHeaders(204, -1);
    }

    private void refuse(HttpExchange exchange, String client, int status, String result, String reason)
            throws IOException {
        metrics.webhookRequest(result);
        logRefusal(client, status, result, reason);
        exchange.sendResponseHeaders(status, -1);
    }

    private void logRefusal(String client, int status, String result, String reason) {
        long suppressed;
        synchronized (this) {
            if (!logBudget.tryTake()) {
                suppressedLogs++;
                return;
            }
            suppressed = suppressedLogs;
            suppressedLogs = 0;
        }
        LOG.atWarn().addKeyValue("client", client).addKeyValue("status", status).addKeyValue("result", result)
                .addKeyValue("reason", reason).addKeyValue("suppressed", suppressed).log("webhook refused");
    }

    private boolean fitsIn(String contentLength) {
        try {
            return Long.parseLong(contentLength.strip()) <= maxBodyBytes;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        return in.readNBytes(limit);
    }

    /** Header values reach logs; keep them short and plain. */
    private static String sanitize(String value) {
        if (value == null || value.isEmpty()) {
            return "-";
        }
        String plain = value.replaceAll("[^A-Za-z0-9._-]", "_");
        return plain.length() > 64 ? plain.substring(0, 64) : plain;
    }
}
