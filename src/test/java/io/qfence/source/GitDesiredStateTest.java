package io.qfence.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.Diagnostic;
import io.qfence.model.errors.UsageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a desired state from real temporary Git repositories, at a revision, with no checkout. */
class GitDesiredStateTest {

    static final Clock TODAY = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path repo;

    Git git;

    @BeforeEach
    void createRepositoryWithTheExample() throws Exception {
        git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call();
        copy(Path.of("desired-state"), repo.resolve("desired-state"));
    }

    @Test
    void readsTheCommittedStateAtHeadAndNamesTheCommit() throws Exception {
        RevCommit commit = commit("add the example");

        LoadResult result = DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "HEAD", "desired-state"), TODAY);

        assertThat(result.errors()).isEmpty();
        assertThat(result.state().orElseThrow().revision()).isEqualTo(commit.name());
        assertThat(result.state().orElseThrow()).usingRecursiveComparison().ignoringFields("revision")
                .isEqualTo(DesiredStateLoader.loadDirectory(Path.of("desired-state"), TODAY).state().orElseThrow());
    }

    @Test
    void readsTheRevisionNotTheWorkingTree() throws Exception {
        RevCommit good = commit("good");
        Path web = repo.resolve("desired-state/groups/web.yaml");
        Files.writeString(web, Files.readString(web).replace("  vlan: 10", "  vlna: 10"));

        assertThat(DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "HEAD", "desired-state"), TODAY).ok())
                .as("uncommitted typo is invisible").isTrue();

        RevCommit bad = commit("typo");
        LoadResult atBad = DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "main", "desired-state"), TODAY);
        LoadResult atGood = DesiredStateLoader.loadGit(new GitRevision(repo.toString(), good.name(), "desired-state"), TODAY);

        assertThat(atBad.errors()).extracting(Diagnostic::toString)
                .containsExactly("groups/web.yaml:8:3: unknown field 'vlna' (did you mean 'vlan'?)");
        assertThat(atGood.ok()).isTrue();
        assertThat(bad.getParent(0)).isEqualTo(good);
    }

    @Test
    void readsADesiredStateAtTheRootOfTheRepository(@TempDir Path other) throws Exception {
        Git rootRepo = Git.init().setDirectory(other.toFile()).call();
        copy(Path.of("desired-state"), other);
        rootRepo.add().addFilepattern(".").call();
        rootRepo.commit().setMessage("root").setSign(false).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();

        LoadResult result = DesiredStateLoader.loadGit(new GitRevision(other.toString(), "HEAD", "."), TODAY);

        assertThat(result.errors()).isEmpty();
        assertThat(result.state().orElseThrow().groups()).hasSize(3);
        rootRepo.close();
    }

    @Test
    void clonesAUrlBareAndReadsIt() throws Exception {
        RevCommit commit = commit("example");

        LoadResult result = DesiredStateLoader.loadGit(
                new GitRevision(repo.toUri().toString(), "main", "desired-state"), TODAY);

        assertThat(result.errors()).isEmpty();
        assertThat(result.state().orElseThrow().revision()).isEqualTo(commit.name());
    }

    @Test
    void anOversizedBlobIsRefusedFromItsSize() throws Exception {
        Files.write(repo.resolve("desired-state/groups/huge.yaml"), new byte[5 * 1024 * 1024]);
        commit("huge");

        LoadResult result = DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "HEAD", "desired-state"), TODAY);

        assertThat(result.errors()).extracting(Diagnostic::toString).containsExactly(
                "groups/huge.yaml:1:1: file is 5242880 bytes; desired-state files are limited to 1048576 bytes (1 MiB)");
    }

    @Test
    void aSymbolicLinkInTheTreeIsRefused() throws Exception {
        Files.createSymbolicLink(repo.resolve("desired-state/groups/link.yaml"), Path.of("/etc/passwd"));
        commit("link");

        LoadResult result = DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "HEAD", "desired-state"), TODAY);

        assertThat(result.errors()).extracting(Diagnostic::toString).containsExactly(
                "groups/link.yaml:1:1: not a regular file; desired-state files cannot be symbolic links");
    }

    @Test
    void aDirectoryNamedLikeAGroupFileInTheTreeIsRefusedAsADirectory() throws Exception {
        Files.createDirectories(repo.resolve("desired-state/groups/gamma.yaml"));
        Files.writeString(repo.resolve("desired-state/groups/gamma.yaml/README"), "not a group\n");
        commit("a directory named like a group");

        LoadResult result = DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "HEAD", "desired-state"), TODAY);

        assertThat(result.errors()).extracting(Diagnostic::toString).containsExactly(
                "groups/gamma.yaml:1:1: is a directory, not a regular file; desired-state files are regular files named *.yaml");
    }

    @Test
    void anUnknownRevisionOrDirectoryOrRepositoryIsAUsageError(@TempDir Path empty) throws Exception {
        commit("example");

        assertThatThrownBy(() -> DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "nope", "desired-state"), TODAY))
                .isInstanceOf(UsageException.class).hasMessage("revision 'nope' not found in " + repo);
        assertThatThrownBy(() -> DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "HEAD", "elsewhere"), TODAY))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("directory 'elsewhere' does not exist at revision HEAD");
        assertThatThrownBy(() -> DesiredStateLoader.loadGit(new GitRevision(empty.toString(), "HEAD", "."), TODAY))
                .isInstanceOf(UsageException.class).hasMessage("'" + empty + "' is not a Git repository");
        assertThatThrownBy(() -> DesiredStateLoader.loadGit(new GitRevision(repo.toString(), "HEAD", "../x"), TODAY))
                .isInstanceOf(UsageException.class).hasMessageContaining("without '..'");
    }

    private RevCommit commit(String message) throws Exception {
        git.add().addFilepattern(".").call();
        return git.commit().setMessage(message).setSign(false)
                .setAuthor("test", "test@example.org").setCommitter("test", "test@example.org").call();
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.writeString(t, Files.readString(f, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
                }
            }
        }
    }
}
