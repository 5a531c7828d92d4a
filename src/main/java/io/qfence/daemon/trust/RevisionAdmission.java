package io.qfence.daemon.trust;

import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.CommitInfo;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.git.GitSourceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a new head may be applied, given the last applied revision:
 * <ol>
 *   <li>history: the last applied revision must be in the new head's history, unless rewrites are allowed;</li>
 *   <li>signatures (when verifying): <em>every</em> commit reachable from the new head and not from the last applied
 *       revision must carry a valid signature by a trusted key. Flux checks only the head; a head signed on top of
 *       unsigned commits is refused here.</li>
 * </ol>
 * Without a last applied revision (the first run), the whole history of the new head is checked. An operator who
 * adopts qfence on a repository with older unsigned history seeds the last-applied file with a reviewed revision.
 */
public final class RevisionAdmission {

    /** How many commits one admission verifies at most, so a first run on a huge history fails clearly. */
    public static final int DEFAULT_MAX_COMMITS = 10_000;

    private final Optional<CommitSignatureVerifier> verifier;
    private final boolean allowRewrite;
    private final int maxCommits;

    private RevisionAdmission(Optional<CommitSignatureVerifier> verifier, boolean allowRewrite, int maxCommits) {
        this.verifier = verifier;
        this.allowRewrite = allowRewrite;
        if (maxCommits < 1) {
            throw new IllegalArgumentException("maxCommits must be positive, got " + maxCommits);
        }
        this.maxCommits = maxCommits;
    }

    /** Checks history only ({@code --verify-signatures} not given). */
    public static RevisionAdmission historyOnly() {
        return new RevisionAdmission(Optional.empty(), false, DEFAULT_MAX_COMMITS);
    }

    /** Checks history and every new commit's signature ({@code --verify-signatures --trusted-keys DIR}). */
    public static RevisionAdmission verifyingSignatures(CommitSignatureVerifier verifier) {
        return new RevisionAdmission(Optional.of(Objects.requireNonNull(verifier, "verifier")), false,
                DEFAULT_MAX_COMMITS);
    }

    /** {@code --allow-rewrite}: a head whose history dropped the last applied revision may still be applied. */
    public RevisionAdmission allowingRewrite(boolean allow) {
        return new RevisionAdmission(verifier, allow, maxCommits);
    }

    public RevisionAdmission maxCommits(int max) {
        return new RevisionAdmission(verifier, allowRewrite, max);
    }

    public Admission admit(GitMirror mirror, Optional<CommitId> lastApplied, CommitId newHead)
            throws GitSourceException {
        Objects.requireNonNull(mirror, "mirror");
        Objects.requireNonNull(lastApplied, "lastApplied");
        Objects.requireNonNull(newHead, "newHead");
        boolean rewritten = lastApplied.isPresent()
                && !(mirror.contains(lastApplied.get()) && mirror.isAncestor(lastApplied.get(), newHead));
        if (rewritten && !allowRewrite) {
            return new Admission.HistoryRewriteDetected(lastApplied.get(), newHead);
        }
        if (verifier.isEmpty()) {
            return new Admission.Admitted(newHead, 0, rewritten);
        }
        // After an allowed rewrite, what the new head shares with the old history was verified before; what it
        // does not share is new, whatever its dates say.
        Optional<CommitId> from = lastApplied.isPresent() && mirror.contains(lastApplied.get())
                ? lastApplied : Optional.empty();
        List<CommitInfo> commits = mirror.commitsBetween(from, newHead, maxCommits);
        List<CommitRefusal> refusals = new ArrayList<>();
        for (CommitInfo commit : commits) {
            if (verifier.get().verify(commit) instanceof SignatureCheck.Refused refused) {
                refusals.add(new CommitRefusal(commit.id(), commit.author(), commit.subject(), refused.reason(),
                        refused.detail()));
            }
        }
        if (!refusals.isEmpty()) {
            return new Admission.SignaturesRefused(newHead, refusals);
        }
        return new Admission.Admitted(newHead, commits.size(), rewritten);
    }
}
