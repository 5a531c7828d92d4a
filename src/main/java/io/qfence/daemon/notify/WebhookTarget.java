package io.qfence.daemon.notify;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where notifications go, and how many: the receiver's URL ({@code https}; {@code http} only to loopback), the file of
 * the shared secret that signs each message, the window in which a message with the same dedupe key is not sent
 * again, and the rate limit (a burst of {@code burst} messages, then one per {@code refillEvery}).
 */
public record WebhookTarget(URI url, Path secretFile, Duration dedupeWindow, int burst, Duration refillEvery) {

    public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofHours(24);
    public static final int DEFAULT_BURST = 10;
    public static final Duration DEFAULT_REFILL = Duration.ofMinutes(1);

    public WebhookTarget {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(secretFile, "secretFile");
        Objects.requireNonNull(dedupeWindow, "dedupeWindow");
        Objects.requireNonNull(refillEvery, "refillEvery");
        ForgeEndpoint.requireSafeUrl("the notification URL", url);
        if (dedupeWindow.isNegative()) {
            throw new IllegalArgumentException("the dedupe window must not be negative, got " + dedupeWindow);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("the notification burst must be at least 1, got " + burst);
        }
        if (refillEvery.isNegative() || refillEvery.isZero()) {
            throw new IllegalArgumentException("the notification refill interval must be positive, got " + refillEvery);
        }
    }

    /** The default dedupe window and rate limit. */
    public WebhookTarget(URI url, Path secretFile) {
        this(url, secretFile, DEFAULT_DEDUPE_WINDOW, DEFAULT_BURST, DEFAULT_REFILL);
    }
}
