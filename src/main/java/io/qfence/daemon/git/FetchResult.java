package io.qfence.daemon.git;

import java.util.Objects;
import java.util.Optional;

/**
 * What one fetch of one branch did to the mirror.
 *
 * @param previousHead the mirror's head for the branch before the fetch; empty on the first fetch
 * @param head         the branch's head now
 * @param fastForward  the previous head is an ancestor of (or equal to) the new one; false means the remote's
 *                     history was rewritten (force-push) since the last fetch
 */
public record FetchResult(String branch, Optional<CommitId> previousHead, CommitId head, boolean fastForward) {

    public FetchResult {
        Objects.requireNonNull(branch, "branch");
        Objects.requireNonNull(previousHead, "previousHead");
        Objects.requireNonNull(head, "head");
        if (previousHead.isEmpty() && !fastForward) {
            throw new IllegalArgumentException("a first fetch cannot rewrite history");
        }
    }

    /** False when the remote had nothing new: "already up to date". */
    public boolean changed() {
        return previousHead.map(previous -> !previous.equals(head)).orElse(true);
    }
}
