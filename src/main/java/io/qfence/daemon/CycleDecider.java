package io.qfence.daemon;

import io.qfence.daemon.CycleDecision.ApplyRevision;
import io.qfence.daemon.CycleDecision.AwaitApplyRetry;
import io.qfence.daemon.CycleDecision.CheckHost;
import io.qfence.daemon.CycleDecision.DriftHandling;
import io.qfence.daemon.CycleDecision.Fetch;
import io.qfence.daemon.CycleDecision.FetchStep;
import io.qfence.daemon.CycleDecision.HoldRevision;
import io.qfence.daemon.CycleDecision.HostStep;
import io.qfence.daemon.CycleDecision.LeaveHost;
import io.qfence.daemon.CycleDecision.NoNewRevision;
import io.qfence.daemon.CycleDecision.RevisionStep;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The daemon's decisions, as pure functions of its recorded state and what it observed: no clock, file or socket
 * ({@code now} is a parameter). {@link Reconciler} gathers the facts and hands each decision to its executor. The
 * rules (DESIGN §15):
 * <ul>
 *   <li>fetch when the poll interval is due, or at once for any trigger but the timer, never while the fetch
 *       back-off runs;</li>
 *   <li>a new revision that may be applied is applied unless suspended (then it is held as {@code suspended}) or
 *       unless the retry of its failed apply waits; any other verdict holds it;</li>
 *   <li>an apply checks the host itself, and while a failed apply's retry waits the host is not healed towards the
 *       old revision (that would undo the retry's work); otherwise the host is checked when the trigger asks for it,
 *       the drift interval is due or an exception expired, provided the applied revision's state is known; while
 *       suspended, or with {@code --drift=report} unless an exception expired, only to report drift.</li>
 * </ul>
 */
final class CycleDecider {

    /** The two decisions after the fetch, in the order they are carried out. */
    record Decisions(RevisionStep revision, HostStep host) {
        Decisions {
            Objects.requireNonNull(revision, "revision");
            Objects.requireNonNull(host, "host");
        }
    }

    private CycleDecider() {
    }

    /** Whether to fetch now: {@code fetchRetryAt} is when the back-off after a failed fetch ends, if it runs. */
    static FetchStep fetch(Trigger trigger, Instant now, Instant nextPollAt, Optional<Instant> fetchRetryAt) {
        if (trigger == Trigger.SCHEDULE && now.isBefore(nextPollAt)) {
            return new CycleDecision.SkipFetch(false, "the poll is due at " + nextPollAt);
        }
        if (fetchRetryAt.isPresent() && now.isBefore(fetchRetryAt.get())) {
            return new CycleDecision.SkipFetch(true, "backing off after a failed fetch until " + fetchRetryAt.get());
        }
        return new Fetch(trigger == Trigger.SCHEDULE ? "the poll interval is due" : "the " + trigger.label()
                + " trigger fetches at once");
    }

    /** Whether the head is a revision to grade: fetched, and not the last applied one. */
    static boolean hasNewRevision(Optional<CommitId> head, Optional<CommitId> applied) {
        return head.isPresent() && !head.equals(applied);
    }

    static Decisions decide(CycleFacts facts) {
        RevisionStep revision = revisionStep(facts);
        if (facts.suspension().isEmpty()
                && (revision instanceof ApplyRevision || revision instanceof AwaitApplyRetry)) {
            return new Decisions(revision, new LeaveHost(revision instanceof ApplyRevision
                    ? "the apply of the new revision checks the host"
                    : "healing towards the last applied revision would undo the retry's work"));
        }
        return new Decisions(revision, hostStep(facts));
    }

    private static RevisionStep revisionStep(CycleFacts facts) {
        if (facts.verdict().isEmpty()) {
            return new NoNewRevision(facts.head().isEmpty() ? "nothing fetched yet"
                    : "the head is the last applied revision");
        }
        Verdict verdict = facts.verdict().get();
        if (verdict instanceof Verdict.Blocked blocked) {
            return new HoldRevision(blocked, "the revision is " + blocked.state().name().toLowerCase(Locale.ROOT));
        }
        Verdict.Ready ready = (Verdict.Ready) verdict;
        if (facts.suspension().isPresent()) {
            Suspension suspension = facts.suspension().get();
            CommitId head = ready.revision();
            return new HoldRevision(new Verdict.Blocked(head, Outcome.SKIPPED, PendingState.SUSPENDED, "revision "
                    + head.abbreviated() + " is admitted and waits: suspended " + suspension.describe()
                    + "; run qfence resume to apply it", List.of()), "the daemon is suspended");
        }
        Optional<Instant> retryAt = facts.applyRetryAt();
        if (retryAt.isPresent() && facts.now().isBefore(retryAt.get())) {
            return new AwaitApplyRetry(ready.revision(), retryAt.get(), "the last apply failed; its retry waits");
        }
        return new ApplyRevision(ready, "the revision is admitted, valid and allowed");
    }

    private static HostStep hostStep(CycleFacts facts) {
        if (!facts.appliedStateKnown()) {
            return new LeaveHost("no applied revision whose state is known");
        }
        boolean intervalDue = !facts.now().isBefore(facts.nextHostCheckAt());
        boolean expired = !facts.expired().isEmpty();
        if (!facts.trigger().checksHost() && !intervalDue && !expired) {
            return new LeaveHost("the host check is due at " + facts.nextHostCheckAt());
        }
        String label = facts.trigger() != Trigger.SCHEDULE ? facts.trigger().label() : expired ? "expiry" : "drift";
        String why = facts.trigger().checksHost() ? "the " + facts.trigger().label() + " trigger checks the host"
                : expired ? "an exception expired" : "the drift interval is due";
        if (facts.suspension().isPresent()) {
            return new CheckHost(label, DriftHandling.REPORT_WHILE_SUSPENDED, facts.expired(),
                    why + "; suspended: report only");
        }
        if (facts.drift() == DriftMode.REPORT && !expired) {
            return new CheckHost(label, DriftHandling.REPORT_AS_CONFIGURED, facts.expired(),
                    why + "; --drift=report: report only");
        }
        // an expired exception narrows access: its removal is applied even with --drift=report (a full plan, which
        // puts drift back with it)
        return new CheckHost(label, DriftHandling.HEAL, facts.expired(), why + (facts.drift() == DriftMode.REPORT
                ? "; the expiry is applied even with --drift=report" : ""));
    }

    /**
     * When the scheduler should run the next cycle: the earliest of the next fetch, the next host check (when the
     * applied revision's state is known), the next expiry and the retry of a failed apply.
     */
    static Instant nextWakeUp(Instant nextFetchAt, Optional<Instant> nextHostCheckAt, Optional<Instant> nextExpiry,
                              Optional<Instant> applyRetryAt) {
        Instant next = nextFetchAt;
        for (Optional<Instant> candidate : List.of(nextHostCheckAt, nextExpiry, applyRetryAt)) {
            if (candidate.isPresent() && candidate.get().isBefore(next)) {
                next = candidate.get();
            }
        }
        return next;
    }
}
