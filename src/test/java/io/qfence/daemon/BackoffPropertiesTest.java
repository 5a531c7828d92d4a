package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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

    /**
     * Below the cap, a later failure never waits less than an earlier one, whatever the jitter. The inputs are built
     * so that the uncapped ceiling of failure {@code failures + 1} fits under the cap (rather than assumed, which
     * would discard most draws and make jqwik give up).
     */
    @Property
    void untilTheCapANewFailureNeverWaitsLessThanThePreviousOne(
            @ForAll @IntRange(min = 1, max = 30) int failures,
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long baseDraw,
            @ForAll @LongRange(min = 0, max = 86_400_000) long headroomMillis,
            @ForAll @DoubleRange(min = 0.0, max = 1.0, maxIncluded = false) double before,
            @ForAll @DoubleRange(min = 0.0, max = 1.0, maxIncluded = false) double after) {
        long factor = 1L << (failures + 1);
        long largestBase = Math.max(1, MAX_CEILING_MILLIS / factor);
        Duration base = Duration.ofMillis(1 + baseDraw % largestBase);
        Duration cap = base.multipliedBy(factor).plusMillis(headroomMillis);

        assertThat(Backoff.delay(failures + 1, base, cap, after))
                .isGreaterThanOrEqualTo(Backoff.delay(failures, base, cap, before));
    }

    /** A day: the largest uncapped ceiling the property explores. */
    private static final long MAX_CEILING_MILLIS = 86_400_000L;
}
