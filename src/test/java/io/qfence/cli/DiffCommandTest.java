package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.testing.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code qfence diff} between two commits of a repository made here: end to end with the real realization, and with a
 * small stand-in where a test is about the command.
 */
class DiffCommandTest {

    @TempDir
    Path repo;

    private String first;
    private String second;

    static String commit(Git git, String message) throws Exception {
        git.add().addFilepattern(".").call();
        return git.commit().setMessage(message).setSign(false).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org").call()
                .getId().name();
    }

    /** The example desired state, then the same with one new exception: web-app-1 may reach db-replica on tcp/5432. */
    @BeforeEach
    void twoCommits() throws Exception {
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            InvalidCorpusTest.copyTree(Path.of("desired-state"), repo.resolve("desired-state"));
            first = commit(git, "example");
            Path web = repo.resolve("desired-state/groups/web.yaml");
            String yaml = Files.readString(web);
            Files.writeString(web, yaml.replace("    allow:\n", """
                        allow:
                          - from: web-app-1
                            to: db-replica
                            protocol: tcp
                            ports: [5432]
                            reason: reports read from the replica
                    """));
            second = commit(git, "one more exception");
        }
    }

    @Test
    void oneNewExceptionIsExactlyOneGainedFlowOfTheRealizedPolicy() {
        CliRun run = CliRun.of("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--fail-on-widen");

        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.out()).isEqualTo("Isolation diff from HEAD~1 (" + first.substring(0, 12) + ") to HEAD (" + second.substring(0, 12) + ")\n"
                + "\n"
                + "Flows gained (access widens):\n"
                + "  + vm:web-app-1 -> vm:db-replica tcp/5432\n"
                + "\n"
                + "Access widens: 1 flow gained, 0 lost.\n");
    }

    @Test
    void oneNewExceptionShowsExactlyOneGainedFlow() {
        CliRun run = CliRun.realized("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--to", "HEAD");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("Isolation diff from HEAD~1 (" + first.substring(0, 12) + ") to HEAD (" + second.substring(0, 12) + ")\n"
                + "\n"
                + "Flows gained (access widens):\n"
                + "  + web-app-1 -> db-replica tcp/5432\n"
                + "\n"
                + "Access widens: 1 flow gained, 0 lost.\n");
    }

    @Test
    void failOnWidenExits3OnlyWhenAccessWidens() {
        CliRun widening = CliRun.realized("diff", "--repo", repo.toString(), "--from", first, "--to", second, "--fail-on-widen");
        CliRun narrowing = CliRun.realized("diff", "--repo", repo.toString(), "--from", second, "--to", first, "--fail-on-widen");
        CliRun same = CliRun.realized("diff", "--repo", repo.toString(), "--from", first, "--to", first, "--fail-on-widen");

        assertThat(widening.exitCode()).isEqualTo(3);
        assertThat(narrowing.exitCode()).isZero();
        assertThat(narrowing.out()).contains("Flows lost (access narrows):\n  - web-app-1 -> db-replica tcp/5432\n");
        assertThat(same.exitCode()).isZero();
        assertThat(same.out()).endsWith("\nNo isolation changes.\n");
    }

    @Test
    void jsonAndMarkdownForCi() throws Exception {
        CliRun json = CliRun.realized("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--format", "json");
        CliRun markdown = CliRun.realized("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--format", "markdown");

        JsonNode tree = new ObjectMapper().readTree(json.out());
        assertThat(tree.get("widens").asBoolean()).isTrue();
        assertThat(tree.get("gained")).hasSize(1);
        assertThat(tree.get("lost")).isEmpty();
        assertThat(markdown.out()).contains("**:warning: Access widens: 1 flow gained, 0 lost.**",
                "| :heavy_plus_sign: gained | `web-app-1` | `db-replica` | tcp | `5432` |");
    }

    @Test
    void markdownDrawsTheGraphWithTheGainedFlowHighlighted() {
        CliRun markdown = CliRun.of("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--format", "markdown");

        assertThat(markdown.exitCode()).isZero();
        String out = markdown.out();
        String graph = out.substring(out.indexOf("#### Reachability"), out.indexOf("```\n", out.indexOf("```mermaid")) + 4);
        assertThat(graph).contains("n2 ==>|\"+ tcp 5432\"| n1");
        Golden.assertMatches("diff/gained-graph.md", graph);
    }

    @Test
    void markdownDrawsAnEdgeThatBreaksAnInvariantAsBroken() throws Exception {
        try (Git git = Git.open(repo.toFile())) {
            Path ci = repo.resolve("desired-state/groups/ci.yaml");
            Files.writeString(ci, Files.readString(ci).replace("    allow:\n", """
                        allow:
                          - from: ci-builder
                            to: db-main
                            protocol: tcp
                            ports: [5432]
                            reason: a shortcut that breaks ci-never-reaches-db
                    """));
            commit(git, "a breaking exception");
        }

        CliRun markdown = CliRun.of("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--format", "markdown");

        assertThat(markdown.out()).contains("n0 ==>|\"! tcp 5432\"| n1", "stroke:#d73a49");
    }

    /**
     * Issue 17: the bastion's way to port 22 of its group's VMs is a policy decision of its own ({@code
     * bastion.sshToGroup}), so turning it off is a change {@code diff} shows, flow by flow, like any exception.
     */
    @Test
    void theBastionsSshToItsGroupIsAFlowOfItsOwnThatDiffShowsWhenItIsTurnedOff() throws Exception {
        try (Git git = Git.open(repo.toFile())) {
            Path db = repo.resolve("desired-state/groups/db.yaml");
            String yaml = Files.readString(db);
            String exception = """
                          - from: db-bastion
                            to: group:db
                            protocol: tcp
                            ports: [22]
                            reason: administrators reach the databases through the bastion
                    """;
            assertThat(yaml).contains(exception).contains("    vm: db-bastion\n");
            Files.writeString(db, yaml.replace(exception, "").replace("    vm: db-bastion\n", "    vm: db-bastion\n    sshToGroup: true\n"));
            commit(git, "db: the bastion reaches its group on port 22 by bastion.sshToGroup");
            Files.writeString(db, Files.readString(db).replace("    sshToGroup: true\n", "    sshToGroup: false\n"));
            commit(git, "db: no more ssh from the bastion");
        }

        // the real realization (CliRun.of): the stand-in knows exceptions only
        CliRun same = CliRun.of("diff", "--repo", repo.toString(), "--from", second, "--to", "HEAD~1");
        CliRun off = CliRun.of("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--to", "HEAD");

        assertThat(same.out()).as("the same reach, now by sshToGroup instead of an exception").endsWith("\nNo isolation changes.\n");
        assertThat(off.exitCode()).isZero();
        assertThat(off.out()).contains("Flows lost (access narrows):\n"
                + "  - vm:db-bastion -> vm:db-main tcp/22\n"
                + "  - vm:db-bastion -> vm:db-replica tcp/22\n", "Access narrows: 0 flows gained, 2 lost.\n");
    }

    @Test
    void anUnknownRevisionIsAnError() {
        CliRun run = CliRun.realized("diff", "--repo", repo.toString(), "--from", "nope");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("qfence: error: ").contains("nope");
    }

    /**
     * On a state with two hosts the relation's {@code host} is each of them; a breach by a guest toward the host is
     * drawn on the edge to that guest's own host ({@code host hv2}, where ci runs), not left unmarked.
     */
    @Test
    void onTwoHostsABreachTowardTheHostMarksTheEdgeToTheGuestsOwnHost() throws Exception {
        try (Git git = Git.open(repo.toFile())) {
            Path hv1 = repo.resolve("desired-state/hosts/hv1.yaml");
            String hv1Text = Files.readString(hv1);
            Files.writeString(hv1, hv1Text.replace("groups: [web, db, ci]", "groups: [web, db]"));
            Files.writeString(repo.resolve("desired-state/hosts/hv2.yaml"),
                    hv1Text.replace("name: hv1", "name: hv2").replace("groups: [web, db, ci]", "groups: [ci]"));
            commit(git, "ci moves to its own host");
            Path ci = repo.resolve("desired-state/groups/ci.yaml");
            Files.writeString(ci, Files.readString(ci).replace("    allow:\n", """
                        allow:
                          - from: ci-builder
                            to: host
                            protocol: tcp
                            ports: [22]
                            reason: a shortcut that breaks no-ssh-to-the-host
                    """));
            commit(git, "a breaking exception toward the host");
        }

        CliRun markdown = CliRun.of("diff", "--repo", repo.toString(), "--from", "HEAD~1", "--format", "markdown");

        String out = markdown.out();
        String graph = out.substring(out.indexOf("#### Reachability"), out.indexOf("```\n", out.indexOf("```mermaid")) + 4);
        assertThat(graph).contains("n0[\"group ci\"]", "n4[[\"host hv2\"]]", "n0 ==>|\"! tcp 22\"| n4");
        Golden.assertMatches("diff/two-hosts-broken-graph.md", graph);
    }
}
