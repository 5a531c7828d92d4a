package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code qfence validate --repo PATH --rev REV}: the committed revision is what counts, not the working tree. */
class ValidateFromGitTest {

    @Test
    void validatesTheRevisionNamedOnTheCommandLine(@TempDir Path repo) throws Exception {
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            InvalidCorpusTest.copyTree(InvalidCorpusTest.BASE, repo.resolve("state"));
            git.add().addFilepattern(".").call();
            git.commit().setMessage("valid").setSign(false).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
            git.tag().setName("v1").setSigned(false).setAnnotated(false).call();
            Path alpha = repo.resolve("state/groups/alpha.yaml");
            Files.writeString(alpha, Files.readString(alpha).replace("vlan: 10", "vlan: 20"));
            git.commit().setAll(true).setMessage("clash").setSign(false).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call();
        }

        CliRun atTag = CliRun.of("validate", "--repo", repo.toString(), "--rev", "v1", "--dir", "state");
        CliRun atHead = CliRun.of("validate", "--repo", repo.toString(), "--dir", "state");

        assertThat(atTag.exitCode()).isZero();
        assertThat(atTag.out()).isEqualTo("valid: 1 host, 2 groups, 4 VMs\n");
        assertThat(atHead.exitCode()).isEqualTo(1);
        assertThat(atHead.out()).isEqualTo("""
                groups/beta.yaml:6:9: vlan 20 is already used by group 'alpha' at groups/alpha.yaml:6:9
                invalid: 1 error
                """);
    }
}
