package io.qfence.daemon.git;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.source.DesiredStateLoader;
import io.qfence.source.GitRevision;
import io.qfence.source.LoadResult;
import io.qfence.testing.GitCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the assembler connects the mirror to the desired-state loader: the bare cache's path and a fetched commit id
 * are a {@link GitRevision}; the loader reads that commit's tree with no checkout.
 */
class MirrorToLoaderTest {

    private static final Clock TODAY = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    @Test
    void theLoaderReadsAFetchedCommitStraightFromTheBareCache() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        copy(Path.of("desired-state"), origin.dir().resolve("desired-state"));
        origin.run("add", "desired-state");
        origin.run("commit", "-q", "-m", "the example fleet");
        CommitId good = CommitId.of(origin.revParse("HEAD"));
        CommitId broken = CommitId.of(origin.commitFile("desired-state/groups/web.yaml", "name: [\n", "break web"));

        try (GitMirror mirror = GitMirror.open(tmp.resolve("state"), new RemoteSpec.LocalRepository(origin.dir()), System::nanoTime)) {
            assertThat(mirror.fetch("main", Duration.ofSeconds(20)).head()).isEqualTo(broken);

            LoadResult atGood = DesiredStateLoader.loadGit(
                    new GitRevision(mirror.repositoryPath().toString(), good.hex(), "desired-state"), TODAY);
            LoadResult atBroken = DesiredStateLoader.loadGit(
                    new GitRevision(mirror.repositoryPath().toString(), broken.hex(), "desired-state"), TODAY);

            assertThat(atGood.errors()).isEmpty();
            assertThat(atGood.state().orElseThrow().revision()).isEqualTo(good.hex());
            assertThat(atBroken.ok()).isFalse();
            assertThat(atBroken.errors()).first().asString().contains("groups/web.yaml");
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }
}
