package io.qfence.daemon;

import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.Pending;
import io.qfence.daemon.control.DaemonStatus.Problem;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.model.desired.DesiredState;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the daemon remembers between cycles about the host and its revisions (the fetch's own memory is
 * {@link RevisionFetcher}'s). One instance per {@link Reconciler}, read and changed only under its monitor, by the
 * reconciler and its executors ({@link RevisionSteps}, {@link HostCheckStep}); {@link CycleDecider} sees it as
 * {@link CycleFacts}.
 */
final class DaemonMemory {

    /** The last applied revision, as {@code last-applied} records it. */
    Optional<LastApplied> lastApplied;
    /** Its desired state, once read back (after a restart) or applied. */
    Optional<DesiredState> appliedState = Optional.empty();
    /** Why the fetched head is not applied, for {@code status.json}. */
    Optional<Pending> pending = Optional.empty();
    /** The verdict last journaled, so that an unchanged verdict is not journaled at every poll. */
    Optional<String> journaledVerdict = Optional.empty();
    Optional<Problem> lastError = Optional.empty();
    Optional<DaemonStatus.HostCheck> hostCheck = Optional.empty();
    Instant nextHostCheckAt;
    Optional<Instant> lastHostCheckAt = Optional.empty();
    /** Whether the last cycle that ran on the host failed: {@code /readyz} says not ready. */
    boolean lastHostRunFailed;
    /** The back-off between attempts to apply a revision whose apply failed. */
    final Backoff applyBackoff;

    DaemonMemory(Optional<LastApplied> lastApplied, Instant firstHostCheckAt, Backoff applyBackoff) {
        this.lastApplied = Objects.requireNonNull(lastApplied, "lastApplied");
        this.nextHostCheckAt = Objects.requireNonNull(firstHostCheckAt, "firstHostCheckAt");
        this.applyBackoff = Objects.requireNonNull(applyBackoff, "applyBackoff");
    }

    /** The head is no longer a new revision: nothing is pending. */
    void forgetPending() {
        pending = Optional.empty();
        journaledVerdict = Optional.empty();
    }

    /** Whether the applied state held is the one of the last applied revision. */
    boolean holdsAppliedState() {
        return appliedState.isPresent() && lastApplied.isPresent()
                && appliedState.get().revision().equals(lastApplied.get().revision().hex());
    }
}
