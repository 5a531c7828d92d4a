package io.qfence.daemon;

import io.qfence.daemon.ConvergeRequest.Mode;
import io.qfence.daemon.git.CommitId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one cycle does, as {@link CycleDecider} decides it: the closed set of steps the daemon's executors carry out.
 * Every decision carries its reason, for logs and tests; the reason never changes what an executor does.
 *
 * <p>A cycle makes three decisions in order: whether to fetch ({@link FetchStep}), what to do with the fetched
 * revision ({@link RevisionStep}), and whether to check the host at the last applied revision ({@link HostStep}).
 */
sealed interface CycleDecision {

    String reason();

    sealed interface FetchStep extends CycleDecision permits Fetch, SkipFetch {}

    sealed interface RevisionStep extends CycleDecision permits NoNewRevision, ApplyRevision, HoldRevision,
            AwaitApplyRetry {}

    sealed interface HostStep extends CycleDecision permits CheckHost, LeaveHost {}

    /** Fetch the branch now. */
    record Fetch(String reason) implements FetchStep {
        public Fetch {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Do not fetch: the poll is not due, or the back-off after a failed fetch runs ({@code loggedAsSkipped}). */
    record SkipFetch(boolean loggedAsSkipped, String reason) implements FetchStep {
        public SkipFetch {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The head is the last applied revision (or nothing was fetched yet): whatever was pending is forgotten. */
    record NoNewRevision(String reason) implements RevisionStep {
        public NoNewRevision {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Apply the new revision; its cycle also checks the host, so no separate host check follows. */
    record ApplyRevision(Verdict.Ready ready, String reason) implements RevisionStep {
        public ApplyRevision {
            Objects.requireNonNull(ready, "ready");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Hold the new revision (refused, invalid, awaiting approval or suspended); the applied one stays. */
    record HoldRevision(Verdict.Blocked verdict, String reason) implements RevisionStep {
        public HoldRevision {
            Objects.requireNonNull(verdict, "verdict");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The last apply of this revision failed and its retry waits until {@code retryAt}: nothing to do until then. */
    record AwaitApplyRetry(CommitId revision, Instant retryAt, String reason) implements RevisionStep {
        public AwaitApplyRetry {
            Objects.requireNonNull(revision, "revision");
            Objects.requireNonNull(retryAt, "retryAt");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Check the host against the last applied revision, and what to do with drift: heal it, or only report it while
     * suspended or as {@code --drift=report} asks ({@link #mode()}: {@link Mode#PLAN_ONLY}). {@code label} is the
     * journal's trigger; {@code expired} names the exceptions that stopped applying since the last check.
     */
    record CheckHost(String label, DriftHandling handling, List<String> expired, String reason) implements HostStep {
        public CheckHost {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(handling, "handling");
            expired = List.copyOf(expired);
            Objects.requireNonNull(reason, "reason");
        }

        /** Whether the engine may change the host: only to heal. */
        public Mode mode() {
            return handling == DriftHandling.HEAL ? Mode.APPLY : Mode.PLAN_ONLY;
        }
    }

    /** What a host check does with the drift it finds, and why. */
    enum DriftHandling {
        /** Put the host back ({@code --drift=heal}, or an exception expired: its removal is applied in either mode). */
        HEAL,
        /** Report only: the daemon is suspended. */
        REPORT_WHILE_SUSPENDED,
        /** Report only: {@code --drift=report}. */
        REPORT_AS_CONFIGURED
    }

    /** Leave the host alone this cycle. */
    record LeaveHost(String reason) implements HostStep {
        public LeaveHost {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
