package io.qfence.daemon;

import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.Pending;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.control.DaemonStatus.Problem;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.model.desired.DesiredState;
import io.qfence.source.LoadResult;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the daemon remembers between cycles about the host and its revisions (the fetch's own memory is
 * {@link RevisionFetcher}'s), changed only through the named transitions below. One instance per {@link Reconciler},
 * used only under its monitor, by the reconciler and its executors ({@link RevisionSteps}, {@link HostCheckStep});
 * {@link CycleDecider} sees it as {@link CycleFacts}.
 */
final class DaemonMemory {

    private static final Logger LOG = LoggerFactory.getLogger(DaemonMemory.class);

    private Optional<LastApplied> lastApplied;
    private Optional<DesiredState> appliedState = Optional.empty();
    private Optional<Pending> pending = Optional.empty();
    /** The verdict last journaled, so that an unchanged verdict is not journaled at every poll. */
    private Optional<String> journaledVerdict = Optional.empty();
    private Optional<Problem> lastError = Optional.empty();
    private Optional<DaemonStatus.HostCheck> hostCheck = Optional.empty();
    private Instant nextHostCheckAt;
    private Optional<Instant> lastHostCheckAt = Optional.empty();
    private boolean lastHostRunFailed;
    private final Backoff applyBackoff;

    DaemonMemory(Optional<LastApplied> lastApplied, Instant firstHostCheckAt, Backoff applyBackoff) {
        this.lastApplied = Objects.requireNonNull(lastApplied, "lastApplied");
        this.nextHostCheckAt = Objects.requireNonNull(firstHostCheckAt, "firstHostCheckAt");
        this.applyBackoff = Objects.requireNonNull(applyBackoff, "applyBackoff");
    }

    // ---- what it holds

    /** The last applied revision, as {@code last-applied} records it. */
    Optional<LastApplied> lastApplied() {
        return lastApplied;
    }

    /** Its desired state, once read back (after a restart) or applied. */
    Optional<DesiredState> appliedState() {
        return appliedState;
    }

    /** Why the fetched head is not applied, for {@code status.json}. */
    Optional<Pending> pending() {
        return pending;
    }

    Optional<Problem> lastError() {
        return lastError;
    }

    Optional<DaemonStatus.HostCheck> hostCheck() {
        return hostCheck;
    }

    Instant nextHostCheckAt() {
        return nextHostCheckAt;
    }

    Optional<Instant> lastHostCheckAt() {
        return lastHostCheckAt;
    }

    /** Whether the last cycle that ran on the host failed: {@code /readyz} says not ready. */
    boolean lastHostRunFailed() {
        return lastHostRunFailed;
    }

    /** The back-off between attempts to apply a revision whose apply failed. */
    Backoff applyBackoff() {
        return applyBackoff;
    }

    /** Whether the applied state held is the one of the last applied revision. */
    boolean holdsAppliedState() {
        return appliedState.isPresent() && lastApplied.isPresent()
                && appliedState.get().revision().equals(lastApplied.get().revision().hex());
    }

    // ---- transitions

    /**
     * After a restart, the applied revision's desired state is read back from the cache, once it holds it; a revision
     * that cannot be read back leaves it empty (drift is not checked until a new revision applies).
     */
    void readAppliedStateBack(RevisionSource source, Instant now) {
        if (lastApplied.isEmpty()) {
            appliedState = Optional.empty();
            return;
        }
        if (holdsAppliedState()) {
            return;
        }
        CommitId revision = lastApplied.get().revision();
        LoadResult loaded = source.load(revision, Clock.fixed(now, ZoneOffset.UTC));
        appliedState = loaded.ok() ? loaded.state() : Optional.empty();
        if (!loaded.ok()) {
            LOG.atWarn().addKeyValue("revision", revision.hex()).addKeyValue("errors", loaded.errors().size())
                    .log("the last applied revision cannot be read back; drift is not checked until a new revision applies");
        }
    }

    /** The head is no longer a new revision: nothing is pending. */
    void forgetPending() {
        pending = Optional.empty();
        journaledVerdict = Optional.empty();
    }

    /**
     * A new revision is held: it becomes the pending one (since when it first waited in this state).
     *
     * @return whether this verdict is new or changed, hence to be journaled
     */
    boolean held(Verdict.Blocked verdict, Instant now) {
        String revision = verdict.revision().hex();
        boolean sameWait = pending.isPresent() && pending.get().revision().equals(revision)
                && pending.get().state() == verdict.state();
        pending = Optional.of(new Pending(revision, verdict.state(), verdict.message(),
                sameWait ? pending.get().since() : now));
        String key = revision + "\n" + verdict.state() + "\n" + verdict.message();
        if (journaledVerdict.equals(Optional.of(key))) {
            return false;
        }
        journaledVerdict = Optional.of(key);
        return true;
    }

    void errorSeen(Problem problem) {
        lastError = Optional.of(problem);
    }

    /** The apply could not start: the state lock is held. The revision waits, as failed, for the next cycle. */
    void applyLocked(String revision, String message, Instant now) {
        pending = Optional.of(new Pending(revision, PendingState.FAILED, message, now));
        lastError = Optional.of(new Problem(message, now));
    }

    /** A cycle ran on the host (an apply, or a host check that took the lock). */
    void hostRan(Instant now) {
        lastHostCheckAt = Optional.of(now);
    }

    /** A new revision applied and recorded: it is the applied one, and nothing is pending. */
    void applied(LastApplied record, DesiredState state, DaemonStatus.HostCheck check, Instant nextCheckAt) {
        lastApplied = Optional.of(record);
        appliedState = Optional.of(state);
        applyBackoff.recordSuccess();
        forgetPending();
        lastError = Optional.empty();
        lastHostRunFailed = false;
        nextHostCheckAt = nextCheckAt;
        hostCheck = Optional.of(check);
    }

    /** Applying a new revision failed (its back-off already counted the failure): it waits for its retry. */
    void applyFailed(String revision, String message, Instant now) {
        pending = Optional.of(new Pending(revision, PendingState.FAILED, message, now));
        journaledVerdict = Optional.empty();
        lastError = Optional.of(new Problem(message, now));
        lastHostRunFailed = true;
    }

    /** The host was checked against the applied revision. */
    void hostChecked(DaemonStatus.HostCheck check, Instant nextCheckAt) {
        nextHostCheckAt = nextCheckAt;
        hostCheck = Optional.of(check);
    }

    void hostCheckFailed(Problem problem) {
        lastError = Optional.of(problem);
        lastHostRunFailed = true;
    }

    /** The check succeeded: the last error goes, unless a pending revision still explains it. */
    void hostCheckSucceeded() {
        lastHostRunFailed = false;
        if (pending.isEmpty()) {
            lastError = Optional.empty();
        }
    }
}
