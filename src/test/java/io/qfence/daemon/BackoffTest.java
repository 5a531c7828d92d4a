package io.qfence.daemon;

import io.qfence.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static final Duration BASE = Duration.ofSeconds(1);
    private static final Duration CAP = Duration.ofMinutes(5);

    /** Always draws the lowest value: nextDouble() == 0. */
    private static final RandomGenerator LOWEST = () -> 0L;
    /** Always draws the highest value: nextDouble() just below 1. */
    private static final RandomGenerator HIGHEST = () -> -1L;

    private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00Z"));

    @Test
    void delaysDoubleFromTheBaseUntilTheCap() {
        Backoff low = new Backoff(BASE, CAP, clock, LOWEST);
        List<Long> seconds = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            seconds.add(low.recordFailure().toSeconds());
        }
        assertThat(seconds).containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 64L, 128L, 150L, 150L, 150L, 150L);

        Backoff high = new Backoff(BASE, CAP, clock, HIGHEST);
        seconds.clear();
        for (int i = 0; i < 12; i++) {
            seconds.add(Math.round(high.recordFailure().toMillis() / 1000.0));
        }
        assertThat(seconds).containsExactly(2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 300L, 300L, 300L, 300L);
    }

    @Test
    void noAttemptIsAllowedUntilTheDelayHasPassed() {
        Backoff backoff = new Backoff(BASE, CAP, clock, LOWEST);
        assertThat(backoff.mayAttempt()).isTrue();

        backoff.recordFailure();
        backoff.recordFailure();
        assertThat(backoff.currentDelay()).contains(Duration.ofSeconds(2));

        assertThat(backoff.mayAttempt()).isFalse();
        clock.advance(Duration.ofMillis(1999));
        assertThat(backoff.mayAttempt()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(backoff.mayAttempt()).isTrue();
        assertThat(backoff.nextAttemptAt()).contains(Instant.parse("2024-05-01T12:00:02Z"));
    }

    @Test
    void aSuccessResetsTheDelayToTheBase() {
        Backoff backoff = new Backoff(BASE, CAP, clock, LOWEST);
        for (int i = 0; i < 6; i++) {
            backoff.recordFailure();
        }
        assertThat(backoff.consecutiveFailures()).isEqualTo(6);

        backoff.recordSuccess();

        assertThat(backoff.consecutiveFailures()).isZero();
        assertThat(backoff.mayAttempt()).isTrue();
        assertThat(backoff.nextAttemptAt()).isEmpty();
        assertThat(backoff.recordFailure()).isEqualTo(BASE);
    }

    @Test
    void jitterSpreadsTheDelaysOfHostsThatFailedTogether() {
        Backoff one = new Backoff(BASE, CAP, clock, new SplittableRandom(1));
        Backoff two = new Backoff(BASE, CAP, clock, new SplittableRandom(2));
        for (int i = 0; i < 5; i++) {
            one.recordFailure();
            two.recordFailure();
        }
        assertThat(one.recordFailure()).isNotEqualTo(two.recordFailure());
    }

    @Test
    void aCapBelowTheBaseIsRefused() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(5), clock, LOWEST))
                .hasMessage("backoff cap PT5S is below its base PT10S");
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, CAP, clock, LOWEST))
                .hasMessage("backoff base must be positive, got PT0S");
    }

    @Test
    void enormousFailureCountsStayAtTheCap() {
        assertThat(Backoff.delay(Integer.MAX_VALUE, BASE, CAP, 0.999999)).isLessThanOrEqualTo(CAP);
        assertThat(Backoff.delay(62, Duration.ofDays(1), Duration.ofDays(365), 0.0)).isEqualTo(Duration.ofDays(365).dividedBy(2));
    }
}
