package io.qfence.daemon.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** The outbox's waits between attempts follow the daemon's back-off rule (DESIGN §13), whatever the draw. */
class OutboxRetryPolicyPropertiesTest {

    @Property
    void aWaitIsNeverBelowTheBaseNorAboveTheCapAndAtLeastHalfItsCeiling(
            @ForAll @IntRange(min = 1, max = 60) int baseSeconds, @ForAll @IntRange(min = 1, max = 64) int capFactor,
            @ForAll @IntRange(min = 1, max = 200) int failures, @ForAll @LongRange(min = 0, max = 1_000_000) long seed) {
        Duration base = Duration.ofSeconds(baseSeconds);
        Duration cap = base.multipliedBy(capFactor);
        Outbox.RetryPolicy policy = new Outbox.RetryPolicy(base, cap, 8);

        Duration wait = policy.delayAfter(failures, new SplittableRandom(seed));

        Duration ceiling = base.multipliedBy(1L << Math.min(failures - 1, 20));
        ceiling = ceiling.compareTo(cap) > 0 ? cap : ceiling;
        assertThat(wait).isBetween(base, cap);
        assertThat(wait).isLessThanOrEqualTo(ceiling);
        assertThat(wait.multipliedBy(2)).isGreaterThanOrEqualTo(ceiling);
    }
}
