package io.qfence.daemon.trust;

import io.qfence.daemon.git.CommitId;
import java.util.List;
import java.util.Objects;

/** Whether a fetched head may be applied. Nothing is applied unless the answer is {@link Admitted}. */
public sealed interface Admission {

    /** One line for logs, the journal and the status report. */
    String message();

    /**
     * @param commitsVerified   how many commits had their signatures checked (0 without signature verification)
     * @param historyRewritten  the last applied revision is not in the new head's history, and rewrites are allowed
     */
    record Admitted(CommitId revision, int commitsVerified, boolean historyRewritten) implements Admission {
        public Admitted {
            Objects.requireNonNull(revision, "revision");
        }

        @Override
        public String message() {
            return "revision " + revision.abbreviated() + " admitted"
                    + (commitsVerified > 0 ? " (" + commitsVerified + " signed commits verified)" : "")
                    + (historyRewritten ? " after a history rewrite" : "");
        }
    }

    /** The last applied revision is not an ancestor of the new head: a force-push or a reset dropped it. */
    record HistoryRewriteDetected(CommitId lastApplied, CommitId newHead) implements Admission {
        public HistoryRewriteDetected {
            Objects.requireNonNull(lastApplied, "lastApplied");
            Objects.requireNonNull(newHead, "newHead");
        }

        @Override
        public String message() {
            return "history rewritten: the last applied revision " + lastApplied.abbreviated()
                    + " is not in the history of the new head " + newHead.abbreviated()
                    + " (force-push?); nothing applied; allow rewrites (--allow-rewrite) to apply it";
        }
    }

    /** At least one commit between the last applied revision and the new head is not trusted. */
    record SignaturesRefused(CommitId newHead, List<CommitRefusal> refusals) implements Admission {
        public SignaturesRefused {
            Objects.requireNonNull(newHead, "newHead");
            refusals = List.copyOf(refusals);
            if (refusals.isEmpty()) {
                throw new IllegalArgumentException("a signature refusal names at least one commit");
            }
        }

        @Override
        public String message() {
            int more = refusals.size() - 1;
            return "refusing " + newHead.abbreviated() + ": " + refusals.get(0).message()
                    + (more > 0 ? "; and " + more + " more untrusted commit" + (more == 1 ? "" : "s") : "")
                    + "; nothing applied";
        }
    }
}
