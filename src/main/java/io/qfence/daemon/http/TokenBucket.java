package io.qfence.daemon.http;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A token bucket: up to {@code capacity} requests at once, then one more every {@code refillEvery}. Time comes from
 * an injected nanosecond clock, so tests step it instead of sleeping.
 */
final class TokenBucket {

    private final int capacity;
    private final long refillNanos;
    private final LongSupplier nanoClock;
    private double tokens;
    private long updatedAt;

    TokenBucket(int capacity, Duration refillEvery, LongSupplier nanoClock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("bucket capacity must be >= 1, got " + capacity);
        }
        if (refillEvery.isNegative() || refillEvery.isZero()) {
            throw new IllegalArgumentException("refill interval must be positive, got " + refillEvery);
        }
        this.capacity = capacity;
        this.refillNanos = refillEvery.toNanos();
        this.nanoClock = nanoClock;
        this.tokens = capacity;
        this.updatedAt = nanoClock.getAsLong();
    }

    /** Takes a token if there is one. */
    synchronized boolean tryTake() {
        refill();
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** How long until a token is available (zero if one is). */
    synchronized Duration timeUntilNext() {
        refill();
        return tokens >= 1 ? Duration.ZERO : Duration.ofNanos((long) Math.ceil((1 - tokens) * refillNanos));
    }

    /** Full, and so no different from a new bucket: an entry for it can be forgotten. */
    synchronized boolean isFull() {
        refill();
        return tokens >= capacity;
    }

    private void refill() {
        long now = nanoClock.getAsLong();
        long elapsed = now - updatedAt;
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + (double) elapsed / refillNanos);
            updatedAt = now;
        }
    }
}
