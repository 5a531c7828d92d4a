package io.qfence.daemon;

import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.CommitId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link CycleDecider#decide} needs to know, once the cycle has fetched and graded: the daemon's recorded state
 * and what it observed, as values. Nothing here reads a file or a clock; {@code now} is the cycle's start.
 *
 * @param suspension      the suspension file's content, if the daemon is suspended
 * @param head            the branch head as last fetched
 * @param applied         the last applied revision
 * @param verdict         what the head's grading found: present exactly when the head is new
 * @param applyRetryAt    when the apply of a revision that failed may be tried again, while its back-off runs
 * @param appliedStateKnown whether the applied revision's desired state is known (drift can be checked)
 * @param nextHostCheckAt when the drift interval is next due
 * @param expired         exceptions of the applied revision that stopped applying since the host was last checked
 * @param drift           {@code --drift}: whether a host check heals drift or reports it
 */
record CycleFacts(Trigger trigger, Instant now, Optional<Suspension> suspension, Optional<CommitId> head,
                  Optional<CommitId> applied, Optional<Verdict> verdict, Optional<Instant> applyRetryAt,
                  boolean appliedStateKnown, Instant nextHostCheckAt, List<String> expired,
                  DriftMode drift) {

    CycleFacts {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(suspension, "suspension");
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(applied, "applied");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(applyRetryAt, "applyRetryAt");
        Objects.requireNonNull(nextHostCheckAt, "nextHostCheckAt");
        expired = List.copyOf(expired);
        Objects.requireNonNull(drift, "drift");
        if (verdict.isPresent() != CycleDecider.hasNewRevision(head, applied)) {
            throw new IllegalArgumentException("a verdict is known exactly when the head is a new revision");
        }
        if (verdict.isPresent() && !verdict.get().revision().equals(head.get())) {
            throw new IllegalArgumentException("the verdict is about " + verdict.get().revision().hex()
                    + ", not the head " + head.get().hex());
        }
    }
}
