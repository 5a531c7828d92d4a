package io.qfence.daemon;

import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.FetchResult;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.git.GitSourceException;
import io.qfence.daemon.trust.Admission;
import io.qfence.daemon.trust.CommitSignatureVerifier;
import io.qfence.daemon.trust.RevisionAdmission;
import io.qfence.daemon.trust.TrustedKeys;
import io.qfence.daemon.trust.TrustedKeysException;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.GitRevision;
import io.qfence.source.LoadResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The daemon's revisions from a {@link GitMirror}: fetch one branch with a timeout, admit heads with
 * {@link RevisionAdmission} (trusted keys re-read at each decision), and load a commit's tree with the desired-state
 * loader straight from the bare cache.
 *
 * @param trustedKeys the directory of trusted keys when signatures are verified; empty when they are not
 */
public record GitRevisionSource(GitMirror mirror, String branch, String directory, Duration fetchTimeout,
                                Optional<Path> trustedKeys, boolean allowRewrite) implements RevisionSource {

    public GitRevisionSource {
        Objects.requireNonNull(mirror, "mirror");
        Objects.requireNonNull(branch, "branch");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(fetchTimeout, "fetchTimeout");
        Objects.requireNonNull(trustedKeys, "trustedKeys");
    }

    @Override
    public String remote() {
        return mirror.remote().uri();
    }

    @Override
    public FetchResult fetch() throws GitSourceException {
        return mirror.fetch(branch, fetchTimeout);
    }

    @Override
    public Admission admit(Optional<CommitId> lastApplied, CommitId head)
            throws GitSourceException, TrustedKeysException {
        RevisionAdmission admission = trustedKeys.isPresent()
                ? RevisionAdmission.verifyingSignatures(new CommitSignatureVerifier(TrustedKeys.load(trustedKeys.get())))
                : RevisionAdmission.historyOnly();
        return admission.allowingRewrite(allowRewrite).admit(mirror, lastApplied, head);
    }

    @Override
    public LoadResult load(CommitId revision, Clock clock) {
        return DesiredStateLoader.loadGit(new GitRevision(mirror.repositoryPath().toString(), revision.hex(), directory),
                clock);
    }
}
