package io.qfence.daemon;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * How long to leave a failing remote alone. After the n-th consecutive failure the delay is drawn uniformly from
 * {@code [max(base, c/2), c]} where {@code c = min(cap, base * 2^n)} ("equal jitter"): it grows exponentially, never
 * exceeds the cap, never drops below the base, and never shrinks from one failure to the next until the cap is
 * reached; the jitter keeps a fleet of hosts that saw the same outage from retrying in lockstep. A success resets it.
 *
 * <p>Full jitter ({@code [0, c]}) was rejected because it can retry immediately after a failure; decorrelated jitter
 * because its delays can shrink while the remote is still down. Either lets a dead remote see a burst of requests.
 *
 * <p>The clock and the random source are injected: tests drive both and never sleep.
 */
public final class Backoff {

    private final Duration base;
    private final Duration cap;
    private final Clock clock;
    private final RandomGenerator random;

    private int failures;
    private Instant notBefore;
    private Duration lastDelay;

    public Backoff(Duration base, Duration cap, Clock clock, RandomGenerator random) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(cap, "cap");
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("backoff base must be positive, got " + base);
        }
        if (cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff cap " + cap + " is below its base " + base);
        }
        this.base = base;
        this.cap = cap;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** Records a failed attempt and returns how long to wait before the next one. */
    public synchronized Duration recordFailure() {
        if (failures < Integer.MAX_VALUE) {
            failures++;
        }
        lastDelay = delay(failures, base, cap, random.nextDouble());
        notBefore = clock.instant().plus(lastDelay);
        return lastDelay;
    }

    /** Records a successful attempt: the next failure starts again from the base. */
    public synchronized void recordSuccess() {
        failures = 0;
        notBefore = null;
        lastDelay = null;
    }

    /** Whether an attempt may be made now; false while the delay after the last failure runs. */
    public synchronized boolean mayAttempt() {
        return notBefore == null || !clock.instant().isBefore(notBefore);
    }

    /** When the next attempt is allowed, if a failure is being waited out. */
    public synchronized Optional<Instant> nextAttemptAt() {
        return Optional.ofNullable(notBefore);
    }

    /** The delay chosen after the last failure, if the last attempt failed. */
    public synchronized Optional<Duration> currentDelay() {
        return Optional.ofNullable(lastDelay);
    }

    public synchronized int consecutiveFailures() {
        return failures;
    }

    /**
     * The delay after {@code failures} consecutive failures, for a uniform draw {@code unit} in {@code [0, 1)}. Pure,
     * so the bounds can be checked for every input.
     */
    static Duration delay(int failures, Duration base, Duration cap, double unit) {
        if (failures < 1) {
            throw new IllegalArgumentException("a delay follows at least one failure, got " + failures);
        }
        if (!(unit >= 0.0 && unit < 1.0)) {
            throw new IllegalArgumentException("unit must be in [0, 1), got " + unit);
        }
        long baseNanos = base.toNanos();
        long capNanos = cap.toNanos();
        long ceiling = failures >= 63 || baseNanos > (capNanos >> failures) ? capNanos : baseNanos << failures;
        long floor = Math.max(baseNanos, ceiling / 2);
        return Duration.ofNanos(floor + (long) (unit * (ceiling - floor)));
    }
}
