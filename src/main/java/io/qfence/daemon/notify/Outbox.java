package io.qfence.daemon.notify;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends outbound requests (commit statuses, notifications) off the reconcile cycle, one at a time on its own timer
 * thread, so that a forge or receiver that is down or slow never blocks or fails a reconcile. A failed attempt is
 * retried with back-off (the rule of DESIGN §13: after the n-th failure a uniform draw from
 * {@code [max(base, c/2), c]}, {@code c = min(cap, base·2ⁿ⁻¹)}) up to {@link RetryPolicy#maxAttempts()}; an answer
 * that retrying cannot change (a 4xx other than 408 and 429: bad token, unknown repository or commit) gives up at
 * once. Each attempt's result is counted; a delivery given up is reported to its {@link DeliveryLog} (the journal).
 *
 * <p>A delivery with the same {@code supersedeKey} as a newer one is dropped before its next attempt
 * ({@code superseded}): a commit's {@code pending} status still retrying must never arrive after, and overwrite, its
 * {@code success}.
 */
public final class Outbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

    /** How long closing waits for what is queued: one request's timeouts are longer, but a stop must not hang. */
    public static final Duration FLUSH_ON_CLOSE = Duration.ofSeconds(5);

    /** Runs tasks one at a time, after a delay; a single thread in production, a stepped queue in tests. */
    public interface Timer extends AutoCloseable {
        void schedule(Runnable task, Duration delay);

        @Override
        default void close() {
        }
    }

    /** Where the outcome of each attempt goes: {@code sent}, {@code failed}, {@code gave_up}, {@code superseded}. */
    @FunctionalInterface
    public interface Results {
        void result(String result);
    }

    /** Told about each delivery given up, for the journal. */
    @FunctionalInterface
    public interface DeliveryLog {
        void gaveUp(String channel, String what, Optional<String> revision, int attempts, String lastError);
    }

    /** Builds the request at each attempt: a token file is read again, so a rotated token is used at once. */
    @FunctionalInterface
    public interface RequestSource {
        OutboundRequest build() throws IOException;
    }

    /**
     * @param channel      {@code forge} or {@code webhook}, for logs and the journal
     * @param what         what is delivered, in a few words, for logs and the journal (never a secret)
     * @param supersedeKey a newer delivery with the same key drops this one's remaining attempts
     */
    public record Envelope(String channel, String what, String supersedeKey, Optional<String> revision,
                           RequestSource request, Results results) {
        public Envelope {
            Objects.requireNonNull(channel, "channel");
            Objects.requireNonNull(what, "what");
            Objects.requireNonNull(supersedeKey, "supersedeKey");
            Objects.requireNonNull(revision, "revision");
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(results, "results");
        }
    }

    /** How often and how long to retry. */
    public record RetryPolicy(Duration base, Duration cap, int maxAttempts) {
        /** From 5 s, doubling, to 5 min between attempts; 8 attempts span about 15 to 20 minutes. */
        public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofSeconds(5), Duration.ofMinutes(5), 8);

        public RetryPolicy {
            Objects.requireNonNull(base, "base");
            Objects.requireNonNull(cap, "cap");
            if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
                throw new IllegalArgumentException("retry base must be positive and at most the cap: " + base + ", " + cap);
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("at least one attempt, not " + maxAttempts);
            }
        }

        /** The wait after the {@code failures}-th consecutive failure. */
        Duration delayAfter(int failures, RandomGenerator random) {
            double doubled = base.toNanos() * Math.pow(2, Math.min(failures - 1, 62));
            long c = (long) Math.min(cap.toNanos(), doubled);
            long low = Math.max(base.toNanos(), c / 2);
            return Duration.ofNanos(low >= c ? c : random.nextLong(low, c + 1));
        }
    }

    private final HttpPoster poster;
    private final Timer timer;
    private final RetryPolicy policy;
    private final RandomGenerator random;
    private final DeliveryLog log;
    private final Map<String, Long> generations = new ConcurrentHashMap<>();

    public Outbox(HttpPoster poster, Timer timer, RetryPolicy policy, RandomGenerator random, DeliveryLog log) {
        this.poster = Objects.requireNonNull(poster, "poster");
        this.timer = Objects.requireNonNull(timer, "timer");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.random = Objects.requireNonNull(random, "random");
        this.log = Objects.requireNonNull(log, "log");
    }

    /** A timer on one daemon thread of its own: the production timer. */
    public static Timer threadedTimer() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "qfence-outbox");
            thread.setDaemon(true);
            return thread;
        });
        return new Timer() {
            @Override
            public void schedule(Runnable task, Duration delay) {
                try {
                    executor.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) {
                    // closing: what is not sent by now is dropped, as a stop must not wait for a forge
                }
            }

            /**
             * Gives what is queued up to {@link #FLUSH_ON_CLOSE} to go out ({@code reconcile --once} sets its status
             * just before it closes), then drops the rest: a retry minutes away must not hold up a stop.
             */
            @Override
            public void close() {
                executor.shutdown();
                try {
                    if (!executor.awaitTermination(FLUSH_ON_CLOSE.toMillis(), TimeUnit.MILLISECONDS)) {
                        executor.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    executor.shutdownNow();
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    /** Queues the first attempt; returns at once. */
    public void submit(Envelope delivery) {
        long generation = generations.merge(delivery.supersedeKey(), 1L, Long::sum);
        timer.schedule(() -> attempt(delivery, generation, 1), Duration.ZERO);
    }

    private void attempt(Envelope delivery, long generation, int attempt) {
        if (generations.getOrDefault(delivery.supersedeKey(), 0L) != generation) {
            delivery.results().result("superseded");
            return;
        }
        String error;
        boolean permanent = false;
        try {
            int code = poster.send(delivery.request().build());
            if (code >= 200 && code < 300) {
                delivery.results().result("sent");
                generations.remove(delivery.supersedeKey(), generation);
                return;
            }
            error = "HTTP " + code;
            permanent = code >= 400 && code < 500 && code != 408 && code != 429;
        } catch (IOException e) {
            error = e.getClass().getSimpleName() + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
            return;
        }
        delivery.results().result("failed");
        if (permanent || attempt >= policy.maxAttempts()) {
            delivery.results().result("gave_up");
            generations.remove(delivery.supersedeKey(), generation);
            String why = permanent ? "refused (" + error + "), not retried" : error;
            LOG.atWarn().addKeyValue("channel", delivery.channel()).addKeyValue("attempts", attempt)
                    .log("gave up delivering " + delivery.what() + ": " + why);
            log.gaveUp(delivery.channel(), delivery.what(), delivery.revision(), attempt, why);
            return;
        }
        Duration wait = policy.delayAfter(attempt, random);
        LOG.atInfo().addKeyValue("channel", delivery.channel()).addKeyValue("attempt", attempt)
                .log("delivering " + delivery.what() + " failed (" + error + "); retry in " + wait.toMillis() + " ms");
        timer.schedule(() -> attempt(delivery, generation, attempt + 1), wait);
    }

    @Override
    public void close() throws Exception {
        timer.close();
    }
}
