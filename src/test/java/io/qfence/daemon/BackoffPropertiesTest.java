package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class BackoffPropertiesTest {

    @Property
    void aDelayNeverExceedsTheCapNorFallsBelowTheBase(
            @ForAll @LongRange(min = 1, max = 3_600_000) long baseMillis,
            @ForAll @LongRange(min = 0, max = 86_400_000) long extraMillis,
            @ForAll @IntRange(min = 1, max = 10_000) int failures,
            @ForAll @DoubleRange(min = 0.0, max = 1.0, maxIncluded = false) double unit) {
        Duration base = Duration.ofMillis(baseMillis);
        Duration cap = base.plusMillis(extraMillis);

        Duration delay = Backoff.delay(failures, base, cap, unit);

        assertThat(delay).isBetween(base, cap);
    }

    @Property
    void untilTheCapANewFailureNeverWaitsLessThanThePreviousOne(
            @ForAll @LongRange(min = 1, max = 60_000) long baseMillis,
            @ForAll @LongRange(min = 0, max = 86_400_000) long extraMillis,
            @ForAll @IntRange(min = 1, max = 40) int failures,
            @ForAll @DoubleRange(min = 0.0, max = 1.0, maxIncluded = false) double before,
            @ForAll @DoubleRange(min = 0.0, max = 1.0, maxIncluded = false) double after) {
        Duration base = Duration.ofMillis(baseMillis);
        Duration cap = base.plusMillis(extraMillis);
        Duration uncappedCeiling = base.multipliedBy(1L << Math.min(failures + 1, 40));
        Assume.that(uncappedCeiling.compareTo(cap) <= 0);

        assertThat(Backoff.delay(failures + 1, base, cap, after))
                .isGreaterThanOrEqualTo(Backoff.delay(failures, base, cap, before));
    }
}
