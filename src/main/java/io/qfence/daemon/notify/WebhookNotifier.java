package io.qfence.daemon.notify;

import io.qfence.daemon.http.WebhookSecret;
import io.qfence.daemon.metrics.QfenceMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The generic notification webhook: each {@link Notice} becomes one JSON message, signed like GitHub signs its
 * webhooks (HMAC-SHA256 of the raw body with the shared secret, hex, in {@code X-Qfence-Signature-256: sha256=...}),
 * and sent through the {@link Outbox}. At most one message per dedupe key ({@code HOST/EVENT/SUBJECT}) within the
 * dedupe window (also across a restart: the {@link SentLedger} keeps when each key was delivered), and at most the
 * rate limit's budget (a burst, then one per interval; the excess is dropped and counted
 * {@code rate_limited}): a flapping guest or a drift that persists must not flood the receiver.
 *
 * <p>The message: {@code {"version":1,"event":"drift_found","host":"hv1","subject":"...","revision":"<sha>",
 * "message":"...","at":"2026-12-07T21:00:00Z","dedupe_key":"hv1/drift_found/..."}} ({@code revision} only when the
 * event concerns one), with {@code X-Qfence-Event: EVENT}.
 */
public final class WebhookNotifier {

    public static final String SIGNATURE_HEADER = "X-Qfence-Signature-256";
    public static final String EVENT_HEADER = "X-Qfence-Event";
    private static final int MAX_REMEMBERED = 4096;

    private final WebhookTarget target;
    private final WebhookSecret secret;
    private final Outbox outbox;
    private final QfenceMetrics metrics;
    private final SentLedger ledger;
    private final Map<String, Instant> lastSent = new LinkedHashMap<>();
    private double tokens;
    private Instant refilledAt;

    public WebhookNotifier(WebhookTarget target, WebhookSecret secret, Outbox outbox, QfenceMetrics metrics,
                           SentLedger ledger) {
        this.target = Objects.requireNonNull(target, "target");
        this.secret = Objects.requireNonNull(secret, "secret");
        this.outbox = Objects.requireNonNull(outbox, "outbox");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.tokens = target.burst();
    }

    /** Sends {@code notice} unless it repeats one within the dedupe window or the rate limit is spent. */
    public synchronized void send(Notice notice) {
        String event = notice.event().wire();
        Instant previous = lastSent.containsKey(notice.dedupeKey()) ? lastSent.get(notice.dedupeKey())
                : ledger.notice(notice.dedupeKey()).orElse(null);
        if (previous != null && notice.at().isBefore(previous.plus(target.dedupeWindow()))) {
            metrics.notification(event, "deduplicated");
            return;
        }
        if (!takeToken(notice.at())) {
            metrics.notification(event, "rate_limited");
            return;
        }
        remember(notice.dedupeKey(), notice.at());
        OutboundRequest request = request(notice);
        outbox.submit(new Outbox.Envelope("webhook", event + " notification (" + notice.dedupeKey() + ")",
                "webhook/" + notice.dedupeKey() + "/" + notice.at(), notice.revision(), () -> request,
                result -> {
                    metrics.notification(event, result);
                    if (result.equals("sent")) {
                        ledger.noticeSent(notice.dedupeKey(), notice.at(), target.dedupeWindow());
                    }
                }));
    }

    /** The signed request for {@code notice}. */
    OutboundRequest request(Notice notice) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", 1);
        body.put("event", notice.event().wire());
        body.put("host", notice.host());
        body.put("subject", notice.subject());
        notice.revision().ifPresent(r -> body.put("revision", r));
        body.put("message", notice.message());
        body.put("at", notice.at().toString());
        body.put("dedupe_key", notice.dedupeKey());
        String json = ForgeRequests.json(body);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("User-Agent", ForgeRequests.USER_AGENT);
        headers.put(EVENT_HEADER, notice.event().wire());
        headers.put(SIGNATURE_HEADER, secret.header(json.getBytes(StandardCharsets.UTF_8)));
        return OutboundRequest.post(target.url(), headers, json);
    }

    private boolean takeToken(Instant now) {
        if (refilledAt == null) {
            refilledAt = now;
        }
        if (now.isAfter(refilledAt)) {
            double refills = (double) Duration.between(refilledAt, now).toNanos() / target.refillEvery().toNanos();
            tokens = Math.min(target.burst(), tokens + refills);
            refilledAt = now;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    private void remember(String key, Instant at) {
        lastSent.remove(key);
        lastSent.put(key, at);
        // forget what is older than the window, and the oldest beyond the bound
        Iterator<Map.Entry<String, Instant>> oldest = lastSent.entrySet().iterator();
        while (oldest.hasNext()) {
            Map.Entry<String, Instant> entry = oldest.next();
            if (lastSent.size() > MAX_REMEMBERED || !at.isBefore(entry.getValue().plus(target.dedupeWindow()))) {
                oldest.remove();
            } else {
                break;
            }
        }
    }
}
