package io.qfence.daemon;

import io.qfence.daemon.control.DaemonStatus.Problem;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.FetchResult;
import io.qfence.daemon.git.GitSourceException;
import io.qfence.daemon.metrics.QfenceMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Git side of a cycle: fetches the branch when {@link CycleDecider#fetch} says so, backs off after a failure,
 * and remembers the head it found and when the next poll is due.
 */
final class RevisionFetcher {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final RevisionSource source;
    private final QfenceMetrics metrics;
    private final Backoff backoff;
    private final Jitter jitter;
    private final Duration interval;

    private Optional<CommitId> head = Optional.empty();
    private Optional<Instant> headFetchedAt = Optional.empty();
    private Optional<Problem> error = Optional.empty();
    private Instant nextPollAt;

    RevisionFetcher(RevisionSource source, QfenceMetrics metrics, Backoff backoff, Jitter jitter, Duration interval,
                    Instant firstPollAt) {
        this.source = Objects.requireNonNull(source, "source");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.jitter = Objects.requireNonNull(jitter, "jitter");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.nextPollAt = Objects.requireNonNull(firstPollAt, "firstPollAt");
    }

    /** Fetches once; the message of a failure, for the journal (the failure is also remembered for the status). */
    Optional<String> fetch(Instant now) {
        nextPollAt = now.plus(jitter.apply(interval));
        try {
            FetchResult result = source.fetch();
            backoff.recordSuccess();
            metrics.gitFetch(result.changed() ? "updated" : "unchanged");
            if (result.changed()) {
                LOG.atInfo().addKeyValue("revision", result.head().hex()).addKeyValue("fastForward", result.fastForward())
                        .log("fetched a new head");
            }
            head = Optional.of(result.head());
            headFetchedAt = Optional.of(now);
            error = Optional.empty();
            return Optional.empty();
        } catch (GitSourceException e) {
            Duration wait = backoff.recordFailure();
            metrics.gitFetch("failed");
            String message = "fetch from " + source.remote() + " failed: " + e.getMessage() + "; next attempt in "
                    + wait.toSeconds() + " s";
            error = Optional.of(new Problem(message, now));
            LOG.atWarn().addKeyValue("remote", source.remote()).addKeyValue("failures", backoff.consecutiveFailures())
                    .addKeyValue("retryInSeconds", wait.toSeconds()).log(message);
            return Optional.of(message);
        }
    }

    /** Logs a poll that the back-off held back. */
    void skippedWhileBackingOff(Trigger trigger) {
        LOG.atInfo().addKeyValue("trigger", trigger.label())
                .addKeyValue("nextAttemptAt", backoff.nextAttemptAt().map(Instant::toString).orElse("-"))
                .log("fetch skipped: backing off after a failed fetch");
    }

    Optional<CommitId> head() {
        return head;
    }

    Optional<Instant> headFetchedAt() {
        return headFetchedAt;
    }

    Optional<Problem> error() {
        return error;
    }

    Instant nextPollAt() {
        return nextPollAt;
    }

    /** When the back-off after a failed fetch ends, while it runs. */
    Optional<Instant> retryAt() {
        return backoff.nextAttemptAt();
    }

    /** The next fetch: the poll, or the end of the back-off when that is later. */
    Instant nextFetchAt() {
        return backoff.nextAttemptAt().filter(at -> at.isAfter(nextPollAt)).orElse(nextPollAt);
    }

    int consecutiveFailures() {
        return backoff.consecutiveFailures();
    }
}
