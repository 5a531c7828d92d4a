package io.qfence.daemon;

import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.model.desired.DesiredState;
import java.util.List;
import java.util.Objects;

/**
 * What the daemon found out about a fetched revision that is not the last applied one: it may be applied, or it is
 * held (refused, invalid, awaiting approval, suspended) with the message the journal and {@code status.json} show.
 * {@link RevisionGrader} finds it out (Git, trusted keys, approvals); {@link CycleDecider} acts on it.
 */
sealed interface Verdict {

    CommitId revision();

    /** Admitted, valid and allowed by {@code --auto-apply} (or approved); {@code notes} go into the journal record. */
    record Ready(CommitId revision, DesiredState state, List<String> notes) implements Verdict {
        public Ready {
            Objects.requireNonNull(revision, "revision");
            Objects.requireNonNull(state, "state");
            notes = List.copyOf(notes);
        }
    }

    /** Not applied: {@code outcome} is what the journal records, {@code state} what {@code status.json} shows. */
    record Blocked(CommitId revision, Outcome outcome, PendingState state, String message, List<String> details)
            implements Verdict {
        public Blocked {
            Objects.requireNonNull(revision, "revision");
            Objects.requireNonNull(outcome, "outcome");
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(message, "message");
            details = List.copyOf(details);
        }

        /** Refused or failed: an error, recorded as the daemon's last error; otherwise a note. */
        boolean isError() {
            return outcome == Outcome.FAILED || outcome == Outcome.REFUSED;
        }
    }
}
