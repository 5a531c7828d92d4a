package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.qfence.testing.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.TimeZone;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code qfence diff} over the three-host example: the flows are one policy for the whole fleet (each host's relation
 * united, the host named {@code host:NAME}), and each host's own object changes follow, since each host's qfence
 * applies only its own. Commits have a fixed author and time, so their ids (in the labels) are stable for the goldens.
 */
class FleetDiffTest {

    static final Path GOLDEN = Golden.RESOURCES.resolve("golden/diff/fleet");
    private static final PersonIdent AUTHOR = new PersonIdent("t", "t@example.org", Date.from(Instant.parse("2026-06-01T12:00:00Z")),
            TimeZone.getTimeZone("UTC"));

    @TempDir
    Path repo;

    static void commit(Git git, String message) throws Exception {
        git.add().addFilepattern(".").call();
        git.commit().setMessage(message).setSign(false).setAuthor(AUTHOR).setCommitter(AUTHOR).call();
    }

    /** The example, then: a second app VM on hv2 with intraGroup allow, and web-2 moved off hv1's group (removed). */
    @BeforeEach
    void twoCommits() throws Exception {
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            InvalidCorpusTest.copyTree(Path.of("examples/fleet"), repo.resolve("desired-state"));
            commit(git, "fleet");
            Path app = repo.resolve("desired-state/groups/app.yaml");
            Files.writeString(app, Files.readString(app).replace("intraGroup: deny", "intraGroup: allow") + """
                        - name: app-2
                          cpus: 1
                          memory: 96Mi
                          boot:
                            kernel: kernels/vmlinuz
                            initrd: initrds/probe.img
                            cmdline: "console=ttyS0 quiet"
                          ip: 10.30.0.12
                    """);
            Path web = repo.resolve("desired-state/groups/web.yaml");
            String yaml = Files.readString(web);
            Files.writeString(web, yaml.substring(0, yaml.indexOf("    - name: web-2")));
            commit(git, "app-2 beside app-1; web-2 retired");
        }
    }

    @Test
    void theFlowsAreOnePolicyAndEachHostsObjectChangesFollow() {
        CliRun run = CliRun.of("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--fail-on-widen");

        assertThat(run.exitCode()).isEqualTo(3);
        Golden.assertMatches(GOLDEN.resolve("two-hosts-change.txt"), run.out());
    }

    @Test
    void jsonListsEachHostsChangesAndFollowsTheSchema() throws Exception {
        CliRun run = CliRun.of("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--format", "json");

        Golden.assertMatches(GOLDEN.resolve("two-hosts-change.json"), run.out());
        var schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(Files.readString(Path.of("schemas/isolation-diff.schema.json")));
        var json = new ObjectMapper().readTree(run.out());
        assertThat(schema.validate(json)).isEmpty();
        assertThat(json.get("hosts").findValuesAsText("host")).containsExactly("hv1", "hv2", "hv3");
        assertThat(json.get("hosts").get(2).get("changes")).as("hv3 runs neither changed group").isEmpty();
    }

    @Test
    void markdownAddsATableOfHostsUnderTheFlows() {
        CliRun run = CliRun.of("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--format", "markdown");

        Golden.assertMatches(GOLDEN.resolve("two-hosts-change.md"), run.out());
    }
}
