package io.qfence.daemon.git;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The questions {@link GitMirror} answers about the history in its cache: resolving a revision, whether a commit is
 * there, ancestry, and the commits between two revisions. Reads only; {@link GitMirror} serializes the calls.
 */
final class MirrorHistory {

    private final Repository repository;
    private final Path directory;
    private final String remoteUri;

    MirrorHistory(Repository repository, Path directory, String remoteUri) {
        this.repository = Objects.requireNonNull(repository, "repository");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.remoteUri = Objects.requireNonNull(remoteUri, "remoteUri");
    }

    /** Resolves anything Git can resolve to a commit (a full id, a ref name, {@code origin/main~2}). */
    CommitInfo resolve(String revision) throws GitSourceException {
        Objects.requireNonNull(revision, "revision");
        ObjectId id;
        try {
            id = repository.resolve(revision + "^{commit}");
        } catch (IOException | RuntimeException e) {
            throw new RevisionNotFoundException(revision, "cannot resolve '" + revision + "': " + e.getMessage());
        }
        if (id == null) {
            throw new RevisionNotFoundException(revision, "'" + revision + "' is not a commit in the cache of "
                    + remoteUri);
        }
        try (RevWalk walk = new RevWalk(repository)) {
            return toCommitInfo(walk.parseCommit(id));
        } catch (IOException e) {
            throw new MirrorException(directory, "cannot read commit " + id.name() + ": " + e.getMessage(), e);
        }
    }

    /** Whether the cache holds this commit (a commit dropped by a force-push may be missing from a fresh cache). */
    boolean contains(CommitId commit) throws MirrorException {
        try {
            return repository.getObjectDatabase().has(ObjectId.fromString(commit.hex()));
        } catch (IOException e) {
            throw new MirrorException(directory, "cannot look up " + commit + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code ancestor} is {@code descendant} or reachable from it through parents. */
    boolean isAncestor(CommitId ancestor, CommitId descendant) throws GitSourceException {
        try (RevWalk walk = new RevWalk(repository)) {
            return walk.isMergedInto(parse(walk, ancestor), parse(walk, descendant));
        } catch (IOException e) {
            throw new MirrorException(directory, "cannot walk history: " + e.getMessage(), e);
        }
    }

    /**
     * Every commit reachable from {@code to} and not from {@code from} (all of {@code to}'s history when {@code from}
     * is empty), merges and the commits they bring in included, parents before children; more than {@code limit} is
     * refused (a first run against a long history must not read it all into memory unannounced).
     */
    List<CommitInfo> commitsBetween(Optional<CommitId> from, CommitId to, int limit)
            throws GitSourceException {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        try (RevWalk walk = new RevWalk(repository)) {
            walk.sort(RevSort.TOPO, true);
            walk.sort(RevSort.REVERSE, true);
            walk.markStart(parse(walk, to));
            if (from.isPresent()) {
                walk.markUninteresting(parse(walk, from.get()));
            }
            List<CommitInfo> commits = new ArrayList<>();
            for (RevCommit commit : walk) {
                if (commits.size() == limit) {
                    throw new RevisionNotFoundException(to.hex(), "more than " + limit + " commits between "
                            + from.map(CommitId::abbreviated).orElse("the root") + " and " + to.abbreviated());
                }
                commits.add(toCommitInfo(commit));
            }
            return commits;
        } catch (IOException e) {
            throw new MirrorException(directory, "cannot walk history: " + e.getMessage(), e);
        }
    }

    private RevCommit parse(RevWalk walk, CommitId commit) throws IOException, RevisionNotFoundException {
        try {
            return walk.parseCommit(ObjectId.fromString(commit.hex()));
        } catch (MissingObjectException e) {
            throw new RevisionNotFoundException(commit.hex(), "commit " + commit.abbreviated()
                    + " is not in the cache of " + remoteUri);
        }
    }

    private static CommitId toCommitId(ObjectId id) {
        return new CommitId(id.name());
    }

    private static CommitInfo toCommitInfo(RevCommit commit) {
        List<CommitId> parents = new ArrayList<>(commit.getParentCount());
        for (RevCommit parent : commit.getParents()) {
            parents.add(toCommitId(parent));
        }
        PersonIdent committer = commit.getCommitterIdent();
        return new CommitInfo(toCommitId(commit), parents, person(commit.getAuthorIdent()), person(committer),
                committer.getWhenAsInstant(), commit.getShortMessage(), commit.getRawBuffer());
    }

    private static Person person(PersonIdent ident) {
        return new Person(ident.getName(), ident.getEmailAddress());
    }
}
