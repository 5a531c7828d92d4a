package io.qfence.daemon;

import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.FetchResult;
import io.qfence.daemon.git.GitSourceException;
import io.qfence.daemon.trust.Admission;
import io.qfence.daemon.trust.TrustedKeysException;
import io.qfence.source.LoadResult;
import java.time.Clock;
import java.util.Optional;

/** Where the daemon's revisions come from: one branch of one remote, and the trust rules for its history. */
public interface RevisionSource {

    /** The remote's address, for status and logs (no secret). */
    String remote();

    String branch();

    /** Fetches the branch; the head it reports is what the daemon works towards. */
    FetchResult fetch() throws GitSourceException;

    /**
     * Whether {@code head} may be applied after {@code lastApplied}: history and, when verifying, signatures. Trusted
     * keys are read afresh for every decision, so adding or revoking a key needs no restart.
     */
    Admission admit(Optional<CommitId> lastApplied, CommitId head) throws GitSourceException, TrustedKeysException;

    /** The desired state at {@code revision}, validated. */
    LoadResult load(CommitId revision, Clock clock);
}
