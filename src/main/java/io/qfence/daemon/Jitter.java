package io.qfence.daemon;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/** Spreads the daemon's waits: {@code interval} plus up to {@code fraction · interval}, drawn anew for every wait. */
record Jitter(RandomGenerator random, double fraction) {

    Jitter {
        Objects.requireNonNull(random, "random");
    }

    Duration apply(Duration interval) {
        long extra = (long) (random.nextDouble() * fraction * interval.toNanos());
        return interval.plusNanos(extra);
    }
}
