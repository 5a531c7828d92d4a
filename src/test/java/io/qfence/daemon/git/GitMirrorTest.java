package io.qfence.daemon.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.GitCli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mirror against repositories on the local file system, written by real git and by JGit. */
class GitMirrorTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    @Test
    void firstFetchMirrorsTheBranchIntoABareCache() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        String first = origin.commitFile("hosts/h1.yaml", "name: h1\n", "add h1");

        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            FetchResult result = mirror.fetch("main", TIMEOUT);

            assertThat(result.previousHead()).isEmpty();
            assertThat(result.head()).isEqualTo(CommitId.of(first));
            assertThat(result.changed()).isTrue();
            assertThat(result.fastForward()).isTrue();
            assertThat(mirror.repositoryPath()).startsWith(tmp.resolve("state/git"));
            try (Repository cache = new FileRepositoryBuilder().setGitDir(mirror.repositoryPath().toFile()).build()) {
                assertThat(cache.isBare()).isTrue();
            }
            assertThat(mirror.repositoryPath().resolve("hosts")).doesNotExist();
        }
    }

    @Test
    void aSecondFetchWithoutNewCommitsIsAlreadyUpToDate() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        String first = origin.commitFile("a.yaml", "a: 1\n", "first");
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            mirror.fetch("main", TIMEOUT);

            FetchResult again = mirror.fetch("main", TIMEOUT);

            assertThat(again.previousHead()).contains(CommitId.of(first));
            assertThat(again.head()).isEqualTo(CommitId.of(first));
            assertThat(again.changed()).isFalse();
            assertThat(again.fastForward()).isTrue();
        }
    }

    @Test
    void fetchingANewCommitTransfersOnlyItsObjects() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        for (int i = 0; i < 20; i++) {
            origin.commitFile("f" + i + ".yaml", "n: " + i + "\n", "commit " + i);
        }
        Path state = tmp.resolve("state");
        try (GitMirror mirror = GitMirror.open(state, new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            mirror.fetch("main", TIMEOUT);
            long before = objectCount(mirror.repositoryPath());
            long storedBefore = storedEntries(mirror.repositoryPath());
            String next = origin.commitFile("g.yaml", "g: 1\n", "one more");

            FetchResult result = mirror.fetch("main", TIMEOUT);

            assertThat(result.head()).isEqualTo(CommitId.of(next));
            assertThat(result.fastForward()).isTrue();
            // one commit, its tree and one new blob: nothing already held was sent again
            assertThat(objectCount(mirror.repositoryPath()) - before).isEqualTo(3);
            // and the transfer stored a handful of entries (a thin pack may be completed with a delta base), not
            // the 60 objects of the whole history
            assertThat(storedEntries(mirror.repositoryPath()) - storedBefore).isBetween(3L, 6L);
        }
    }

    @Test
    void aForcePushShowsAsANonFastForwardAndTheOldHeadStaysReadable() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        String base = origin.commitFile("a.yaml", "a: 1\n", "base");
        String dropped = origin.commitFile("a.yaml", "a: 2\n", "to be dropped");
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            mirror.fetch("main", TIMEOUT);
            origin.run("reset", "-q", "--hard", base);
            String rewritten = origin.commitFile("a.yaml", "a: 3\n", "rewritten");

            FetchResult result = mirror.fetch("main", TIMEOUT);

            assertThat(result.previousHead()).contains(CommitId.of(dropped));
            assertThat(result.head()).isEqualTo(CommitId.of(rewritten));
            assertThat(result.fastForward()).isFalse();
            assertThat(mirror.contains(CommitId.of(dropped))).isTrue();
            assertThat(mirror.isAncestor(CommitId.of(dropped), CommitId.of(rewritten))).isFalse();
            assertThat(mirror.isAncestor(CommitId.of(base), CommitId.of(rewritten))).isTrue();
        }
    }

    @Test
    void commitsBetweenListsEveryNewCommitIncludingMergesParentsFirst() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        String applied = origin.commitFile("a.yaml", "a: 1\n", "applied");
        origin.run("checkout", "-q", "-b", "feature");
        String feature1 = origin.commitFile("b.yaml", "b: 1\n", "feature 1");
        String feature2 = origin.commitFile("b.yaml", "b: 2\n", "feature 2");
        origin.run("checkout", "-q", "main");
        String mainline = origin.commitFile("c.yaml", "c: 1\n", "mainline");
        origin.run("merge", "-q", "--no-ff", "-m", "merge feature", "feature");
        String merge = origin.revParse("HEAD");

        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            mirror.fetch("main", TIMEOUT);

            List<CommitInfo> commits = mirror.commitsBetween(Optional.of(CommitId.of(applied)), CommitId.of(merge));

            assertThat(commits).extracting(c -> c.id().hex())
                    .containsExactlyInAnyOrder(feature1, feature2, mainline, merge);
            assertThat(commits.get(commits.size() - 1).id().hex()).isEqualTo(merge);
            assertThat(commits.get(commits.size() - 1).isMerge()).isTrue();
            List<String> order = commits.stream().map(c -> c.id().hex()).collect(Collectors.toList());
            assertThat(order.indexOf(feature1)).isLessThan(order.indexOf(feature2));
            assertThat(commits).allSatisfy(c -> assertThat(c.author()).isEqualTo(new Person("Alice Admin", "alice@example.org")));
            assertThat(mirror.commitsBetween(Optional.empty(), CommitId.of(merge))).hasSize(5);
            assertThat(mirror.commitsBetween(Optional.of(CommitId.of(merge)), CommitId.of(merge))).isEmpty();
        }
    }

    @Test
    void commitsBetweenRefusesARangeLongerThanItsLimit() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        for (int i = 0; i < 4; i++) {
            origin.commitFile("a.yaml", "a: " + i + "\n", "c" + i);
        }
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            CommitId head = mirror.fetch("main", TIMEOUT).head();

            assertThatThrownBy(() -> mirror.commitsBetween(Optional.empty(), head, 3))
                    .isInstanceOf(RevisionNotFoundException.class)
                    .hasMessage("more than 3 commits between the root and " + head.abbreviated());
        }
    }

    @Test
    void theRawCommitBytesHashToTheCommitId() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        String id = origin.commitFile("a.yaml", "a: 1\n", "subject line\n\nbody");
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            mirror.fetch("main", TIMEOUT);

            CommitInfo commit = mirror.resolve(GitMirror.trackingRef("main"));

            assertThat(commit.id().hex()).isEqualTo(id);
            assertThat(commit.subject()).isEqualTo("subject line");
            byte[] raw = commit.raw();
            ObjectId hashed = new org.eclipse.jgit.lib.ObjectInserter.Formatter().idFor(
                    org.eclipse.jgit.lib.Constants.OBJ_COMMIT, raw);
            assertThat(hashed.name()).isEqualTo(id);
        }
    }

    @Test
    void aRepositoryWrittenByJGitMirrorsToo() throws Exception {
        Path originDir = tmp.resolve("jgit-origin");
        RevCommit second;
        try (Git git = Git.init().setDirectory(originDir.toFile()).setInitialBranch("main").call()) {
            PersonIdent bob = new PersonIdent("Bob Builder", "bob@example.org");
            Files.writeString(originDir.resolve("x.yaml"), "x: 1\n");
            git.add().addFilepattern("x.yaml").call();
            git.commit().setMessage("first").setAuthor(bob).setCommitter(bob).setSign(false).call();
            Files.writeString(originDir.resolve("x.yaml"), "x: 2\n");
            git.add().addFilepattern("x.yaml").call();
            second = git.commit().setMessage("second").setAuthor(bob).setCommitter(bob).setSign(false).call();
        }
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(originDir), System::nanoTime)) {
            FetchResult result = mirror.fetch("main", TIMEOUT);

            assertThat(result.head().hex()).isEqualTo(second.name());
            assertThat(mirror.resolve(second.name()).author()).isEqualTo(new Person("Bob Builder", "bob@example.org"));
        }
    }

    /** The contract with the desired-state loader: a Git directory and a commit id are enough, no checkout. */
    @Test
    void theTreeAtACommitIsReadableFromTheBareCacheWithoutACheckout() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        origin.commitFile("hosts/h1.yaml", "name: h1\n", "h1");
        String second = origin.commitFile("groups/web.yaml", "name: web\n", "web");
        origin.commitFile("groups/web.yaml", "name: web2\n", "later");
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            mirror.fetch("main", TIMEOUT);

            Map<String, String> files = readTree(mirror.repositoryPath(), CommitId.of(second));

            assertThat(files).containsExactlyEntriesOf(new TreeMap<>(Map.of(
                    "groups/web.yaml", "name: web\n", "hosts/h1.yaml", "name: h1\n")));
        }
    }

    @Test
    void aMissingBranchFailsTheFetchAndLeavesTheCacheAlone() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        origin.commitFile("a.yaml", "a: 1\n", "first");
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            assertThatThrownBy(() -> mirror.fetch("no-such-branch", TIMEOUT))
                    .isInstanceOf(FetchFailedException.class)
                    .hasMessageContaining("refs/heads/no-such-branch");
            assertThat(mirror.head("no-such-branch")).isEmpty();
        }
    }

    @Test
    void aMissingLocalRepositoryFailsTheFetch() throws Exception {
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"),
                new RemoteSpec.LocalRepository(tmp.resolve("nowhere")), System::nanoTime)) {
            assertThatThrownBy(() -> mirror.fetch("main", TIMEOUT))
                    .isInstanceOf(FetchFailedException.class)
                    .hasMessage("fetch from " + tmp.resolve("nowhere") + " failed: no repository at " + tmp.resolve("nowhere"));
        }
    }

    @Test
    void unknownRevisionsAreReportedAsSuch() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        origin.commitFile("a.yaml", "a: 1\n", "first");
        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            mirror.fetch("main", TIMEOUT);
            CommitId unknown = CommitId.of("0123456789abcdef0123456789abcdef01234567");

            assertThatThrownBy(() -> mirror.resolve(unknown.hex())).isInstanceOf(RevisionNotFoundException.class);
            assertThat(mirror.contains(unknown)).isFalse();
            assertThatThrownBy(() -> mirror.isAncestor(unknown, mirror.head("main").orElseThrow()))
                    .isInstanceOf(RevisionNotFoundException.class)
                    .hasMessageContaining("commit 0123456789ab is not in the cache of");
        }
    }

    @Test
    void aCacheDirectoryIsNeverSharedBetweenRemotes() throws Exception {
        Path state = tmp.resolve("state");
        RemoteSpec a = new RemoteSpec.LocalRepository(tmp.resolve("a"));
        RemoteSpec b = new RemoteSpec.LocalRepository(tmp.resolve("b"));
        try (GitMirror mirrorA = GitMirror.open(state, a, System::nanoTime); GitMirror mirrorB = GitMirror.open(state, b, System::nanoTime)) {
            assertThat(mirrorA.repositoryPath()).isNotEqualTo(mirrorB.repositoryPath());
        }
        // a directory that records another remote is refused
        Path aDir = state.resolve("git").resolve(a.cacheName());
        Path bDir = state.resolve("git").resolve(b.cacheName());
        try (Repository repo = new FileRepositoryBuilder().setGitDir(aDir.toFile()).build()) {
            repo.getConfig().setString("qfence", null, "remote", b.uri());
            repo.getConfig().save();
        }
        assertThat(bDir).exists();
        assertThatThrownBy(() -> GitMirror.open(state, a, System::nanoTime))
                .isInstanceOf(MirrorException.class)
                .hasMessageContaining("is not qfence's cache of " + a.uri());
    }

    @Test
    void anEmptyCacheLeftByAnInterruptedFirstOpenIsAdopted() throws Exception {
        Path state = tmp.resolve("state");
        RemoteSpec remote = new RemoteSpec.LocalRepository(tmp.resolve("origin"));
        GitCli.initBare(state.resolve("git").resolve(remote.cacheName()));

        try (GitMirror mirror = GitMirror.open(state, remote, System::nanoTime)) {
            assertThat(mirror.repositoryPath()).isEqualTo(state.resolve("git").resolve(remote.cacheName()));
        }
    }

    @Test
    void reopeningTheCacheKeepsWhatWasFetched() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        String first = origin.commitFile("a.yaml", "a: 1\n", "first");
        Path state = tmp.resolve("state");
        RemoteSpec remote = new RemoteSpec.LocalRepository(origin.dir());
        try (GitMirror mirror = GitMirror.open(state, remote, System::nanoTime)) {
            mirror.fetch("main", TIMEOUT);
        }
        try (GitMirror mirror = GitMirror.open(state, remote, System::nanoTime)) {
            assertThat(mirror.head("main")).contains(CommitId.of(first));
        }
    }

    static Map<String, String> readTree(Path gitDir, CommitId commit) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Repository repo = new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build();
             RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
            tree.addTree(walk.parseCommit(ObjectId.fromString(commit.hex())).getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                if (tree.getFileMode(0) == FileMode.REGULAR_FILE) {
                    files.put(tree.getPathString(),
                            new String(repo.open(tree.getObjectId(0)).getBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return files;
    }

    /** Distinct objects the repository holds (packs may repeat a delta base; this does not count it twice). */
    static long objectCount(Path gitDir) {
        return GitCli.open(gitDir).run("cat-file", "--batch-all-objects", "--batch-check=%(objectname)").lines().count();
    }

    /** Object entries in all packs and loose, duplicates included: what the fetches actually stored. */
    static long storedEntries(Path gitDir) {
        String out = GitCli.open(gitDir).run("count-objects", "-v");
        long count = 0;
        for (String line : out.split("\n")) {
            if (line.startsWith("count: ") || line.startsWith("in-pack: ")) {
                count += Long.parseLong(line.substring(line.indexOf(':') + 2).strip());
            }
        }
        return count;
    }
}
