package io.qfence.daemon.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void aClientGetsItsBurstThenOneRequestPerRefill() {
        RateLimiter limiter = new RateLimiter(new RateLimiter.Buckets(3, Duration.ofSeconds(10), 100,
                Duration.ofMillis(1), 16), nanos::get);

        assertThat(limiter.admit("10.0.0.1")).isEmpty();
        assertThat(limiter.admit("10.0.0.1")).isEmpty();
        assertThat(limiter.admit("10.0.0.1")).isEmpty();
        assertThat(limiter.admit("10.0.0.1")).contains(Duration.ofSeconds(10));

        advance(Duration.ofSeconds(4));
        assertThat(limiter.admit("10.0.0.1")).contains(Duration.ofSeconds(6));
        advance(Duration.ofSeconds(6));
        assertThat(limiter.admit("10.0.0.1")).isEmpty();
        assertThat(limiter.admit("10.0.0.1")).isPresent();
    }

    @Test
    void clientsAreLimitedSeparatelyAndTogether() {
        RateLimiter limiter = new RateLimiter(new RateLimiter.Buckets(2, Duration.ofSeconds(10), 3,
                Duration.ofSeconds(1), 16), nanos::get);

        assertThat(limiter.admit("a")).isEmpty();
        assertThat(limiter.admit("a")).isEmpty();
        assertThat(limiter.admit("a")).isPresent();       // a's own limit
        assertThat(limiter.admit("b")).isEmpty();          // b is not punished for a
        assertThat(limiter.admit("c")).contains(Duration.ofSeconds(1)); // but the global budget is spent
    }

    @Test
    void theClientTableStaysBounded() {
        RateLimiter limiter = new RateLimiter(new RateLimiter.Buckets(1, Duration.ofHours(1), 1_000_000,
                Duration.ofNanos(1), 8), nanos::get);

        for (int i = 0; i < 1000; i++) {
            limiter.admit("10.0.0." + i);
        }

        assertThat(limiter.trackedClients()).isLessThanOrEqualTo(8);
    }

    @Test
    void aRefilledBucketCanBeForgotten() {
        TokenBucket bucket = new TokenBucket(2, Duration.ofSeconds(1), nanos::get);
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.isFull()).isFalse();
        advance(Duration.ofSeconds(1));
        assertThat(bucket.isFull()).isTrue();
        assertThat(bucket.timeUntilNext()).isEqualTo(Duration.ZERO);
        assertThat(Optional.of(bucket.tryTake())).contains(true);
    }
}
