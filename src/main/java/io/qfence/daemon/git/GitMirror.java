package io.qfence.daemon.git;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.api.errors.JGitInternalException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;

/**
 * A bare cache of one remote under {@code stateDir/git/<remote>}. It fetches one branch at a time, incrementally
 * (JGit negotiates with what the cache already holds), and answers questions about history. It never checks anything
 * out: the desired state is read from the tree of a commit through {@link #repositoryPath()} and a {@link CommitId}.
 *
 * <p>Fetched branches land in {@code refs/remotes/origin/<branch>}, force-updated: whether a rewrite is acceptable is
 * decided above the mirror, against the last <em>applied</em> revision, not against whatever was fetched last.
 *
 * <p>Not for concurrent use from several threads without outside coordination; the methods are synchronized so that
 * a stray concurrent call waits instead of corrupting state.
 */
public final class GitMirror implements AutoCloseable {

    private static final String REMOTE_KEY_SECTION = "qfence";
    private static final String REMOTE_KEY = "remote";

    private final RemoteSpec remote;
    private final Path directory;
    private final Repository repository;
    private final SshdSessionFactory sshSessions;
    private final MirrorHistory history;
    private final LongSupplier nanoClock;

    private GitMirror(RemoteSpec remote, Path directory, Repository repository, SshdSessionFactory sshSessions,
                      LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.remote = remote;
        this.directory = directory;
        this.repository = repository;
        this.sshSessions = sshSessions;
        this.history = new MirrorHistory(repository, directory, remote.uri());
    }

    /**
     * Opens the cache for {@code remote} under {@code stateDir/git}, creating an empty bare repository the first time.
     * A cache directory that belongs to another remote (its recorded address differs) is refused, never reused.
     *
     * @param nanoClock monotonic nanoseconds ({@link System#nanoTime()} from the composition root), which measure each
     *                  fetch's whole budget
     */
    public static GitMirror open(Path stateDir, RemoteSpec remote, LongSupplier nanoClock) throws MirrorException {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(nanoClock, "nanoClock");
        Path gitDir = stateDir.resolve("git");
        Path directory = gitDir.resolve(remote.cacheName());
        Repository repository;
        try {
            Files.createDirectories(gitDir);
            if (Files.exists(directory)) {
                repository = new FileRepositoryBuilder().setGitDir(directory.toFile()).setMustExist(true).build();
                String recorded = repository.getConfig().getString(REMOTE_KEY_SECTION, null, REMOTE_KEY);
                if (recorded == null && repository.isBare() && repository.getRefDatabase().getRefs().isEmpty()) {
                    // an empty cache whose creation was interrupted before it recorded its remote: adopt it
                    recordRemote(repository, remote);
                    recorded = remote.uri();
                }
                if (!repository.isBare() || !remote.uri().equals(recorded)) {
                    repository.close();
                    throw new MirrorException(directory, "the directory is not qfence's cache of " + remote.uri()
                            + " (it records " + (recorded == null ? "no remote" : recorded) + ")", null);
                }
            } else {
                repository = Git.init().setBare(true).setDirectory(directory.toFile())
                        .setInitialBranch(Constants.MASTER).call().getRepository();
                recordRemote(repository, remote);
            }
        } catch (RepositoryNotFoundException e) {
            throw new MirrorException(directory, "not a Git repository", e);
        } catch (IOException | GitAPIException | JGitInternalException e) {
            throw new MirrorException(directory, "cannot open: " + e.getMessage(), e);
        }
        SshdSessionFactory ssh = null;
        if (remote instanceof RemoteSpec.Ssh sshRemote) {
            Path emptyHome = gitDir.resolve(".ssh-home");
            try {
                if (!Files.isDirectory(emptyHome)) {
                    Files.createDirectories(emptyHome,
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
            } catch (IOException e) {
                repository.close();
                throw new MirrorException(directory, "cannot create " + emptyHome + ": " + e.getMessage(), e);
            }
            ssh = SshSessions.factory(sshRemote, emptyHome);
        }
        return new GitMirror(remote, directory, repository, ssh, nanoClock);
    }

    private static void recordRemote(Repository repository, RemoteSpec remote) throws IOException {
        StoredConfig config = repository.getConfig();
        config.setString(REMOTE_KEY_SECTION, null, REMOTE_KEY, remote.uri());
        // A cache has no reason to run git gc on its own schedule while qfence reads it.
        config.setInt("gc", null, "auto", 0);
        config.save();
    }

    public RemoteSpec remote() {
        return remote;
    }

    /** The bare repository, for readers that take a Git directory (e.g. the desired-state loader). */
    public Path repositoryPath() {
        return directory;
    }

    /** The ref under which {@code branch} is mirrored. */
    public static String trackingRef(String branch) {
        return Constants.R_REMOTES + Constants.DEFAULT_REMOTE_NAME + "/" + branch;
    }

    /**
     * Fetches {@code branch} from the remote. {@code timeout} bounds connecting and every network read and write, and
     * the whole transfer: a remote that is down fails within it, one that trickles is cancelled when it is spent.
     */
    public synchronized FetchResult fetch(String branch, Duration timeout) throws GitSourceException {
        Objects.requireNonNull(branch, "branch");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("fetch timeout must be positive, got " + timeout);
        }
        String source = Constants.R_HEADS + branch;
        if (!Repository.isValidRefName(source)) {
            throw new IllegalArgumentException("not a valid branch name: '" + branch + "'");
        }
        String tracking = trackingRef(branch);
        Optional<CommitId> previous = head(branch);

        DeadlineMonitor deadline = new DeadlineMonitor(timeout, nanoClock);
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        UsernamePasswordCredentialsProvider credentials = null;
        Transport transport = null;
        try {
            if (remote instanceof RemoteSpec.LocalRepository local && !Files.isDirectory(local.path())) {
                throw new FetchFailedException(remote.uri(), false, "no repository at " + local.path(), null);
            }
            URIish uri = new URIish(remote.uri());
            transport = remote instanceof RemoteSpec.GitDaemon
                    ? new GitDaemonTransport(repository, uri, timeoutMillis, deadline)
                    : Transport.open(repository, uri);
            // JGit's timeout is whole seconds; it bounds connecting and each read and write
            transport.setTimeout((int) Math.max(1, (timeout.toMillis() + 999) / 1000));
            transport.setTagOpt(TagOpt.NO_TAGS);
            transport.setCheckFetchedObjects(true);
            transport.setRemoveDeletedRefs(false);
            if (remote instanceof RemoteSpec.Https https && https.tokenFile().isPresent()) {
                credentials = new UsernamePasswordCredentialsProvider(https.username(), readToken(https.tokenFile().get()));
                transport.setCredentialsProvider(credentials);
            }
            if (sshSessions != null && transport instanceof SshTransport sshTransport) {
                sshTransport.setSshSessionFactory(sshSessions);
                SshSessions.boundHandshake(timeout);
            }
            transport.fetch(deadline, List.of(new RefSpec("+" + source + ":" + tracking)));
        } catch (URISyntaxException e) {
            throw new FetchFailedException(remote.uri(), false, "not a valid address: " + e.getReason(), null);
        } catch (IOException | JGitInternalException e) {
            // timed out: JGit says so, or the failure came only once the whole budget was spent (MINA's handshake
            // timeout reports itself as a closed session)
            boolean timedOut = deadline.expired() || deadline.isPast() || causedByTimeout(e);
            throw new FetchFailedException(remote.uri(), timedOut, e.getMessage(), e);
        } finally {
            if (transport != null) {
                transport.close();
            }
            if (credentials != null) {
                credentials.clear();
            }
        }
        CommitId head = head(branch).orElseThrow(() -> new RevisionNotFoundException(source,
                "the remote " + remote.uri() + " has no branch '" + branch + "'"));
        boolean fastForward = previous.isEmpty() || history.isAncestor(previous.get(), head);
        return new FetchResult(branch, previous, head, fastForward);
    }

    /** The mirrored head of {@code branch}, if it was ever fetched. */
    public synchronized Optional<CommitId> head(String branch) throws MirrorException {
        try {
            Ref ref = repository.exactRef(trackingRef(branch));
            return ref == null || ref.getObjectId() == null ? Optional.empty() : Optional.of(toCommitId(ref.getObjectId()));
        } catch (IOException e) {
            throw new MirrorException(directory, "cannot read " + trackingRef(branch) + ": " + e.getMessage(), e);
        }
    }

    /** Resolves anything Git can resolve to a commit (a full id, a ref name, {@code origin/main~2}). */
    public synchronized CommitInfo resolve(String revision) throws GitSourceException {
        return history.resolve(revision);
    }

    /** Whether the cache holds this commit (a commit dropped by a force-push may be missing from a fresh cache). */
    public synchronized boolean contains(CommitId commit) throws MirrorException {
        return history.contains(commit);
    }

    /** Whether {@code ancestor} is {@code descendant} or reachable from it through parents. */
    public synchronized boolean isAncestor(CommitId ancestor, CommitId descendant) throws GitSourceException {
        return history.isAncestor(ancestor, descendant);
    }

    /**
     * Every commit reachable from {@code to} and not from {@code from} (all of {@code to}'s history when {@code from}
     * is empty), merges and the commits they bring in included, parents before children.
     */
    public List<CommitInfo> commitsBetween(Optional<CommitId> from, CommitId to) throws GitSourceException {
        return commitsBetween(from, to, Integer.MAX_VALUE);
    }

    /**
     * Like {@link #commitsBetween(Optional, CommitId)}, refusing more than {@code limit} commits (a first run against
     * a long history must not read it all into memory unannounced).
     */
    public synchronized List<CommitInfo> commitsBetween(Optional<CommitId> from, CommitId to, int limit)
            throws GitSourceException {
        return history.commitsBetween(from, to, limit);
    }

    @Override
    public synchronized void close() {
        repository.close();
        if (sshSessions != null) {
            sshSessions.close();
        }
    }

    private static CommitId toCommitId(ObjectId id) {
        return new CommitId(id.name());
    }

    /** Reads the token for one fetch. Its content never reaches a message, a log line or an exception. */
    private String readToken(Path tokenFile) throws FetchFailedException {
        String token;
        try {
            token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new FetchFailedException(remote.uri(), false, "cannot read the token file " + tokenFile + " ("
                    + e.getClass().getSimpleName() + ")", null);
        }
        if (token.isEmpty() || token.contains("\n")) {
            throw new FetchFailedException(remote.uri(), false, "the token file " + tokenFile
                    + " must hold exactly one non-empty line", null);
        }
        return token;
    }

    private static boolean causedByTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedIOException) {
                return true;
            }
        }
        return false;
    }
}
