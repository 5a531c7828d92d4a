package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.host.FakeHost;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull request, in a real Git repository of the bundled desired state, that adds one exception breaking one
 * invariant of {@code policies/isolation.yaml} (no-ssh-to-the-host: web-app-1 may open SSH to the host): validate
 * fails naming both places, diff puts the broken invariant first, and plan and apply refuse it without touching the
 * host. (The daemon's refusal and journal line: {@code daemon.ReconcilerTest}.)
 */
class InvariantPullRequestTest {

    @TempDir
    Path repo;

    @TempDir
    Path state;

    private String base;
    private String head;

    @BeforeEach
    void pullRequest() throws Exception {
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            InvalidCorpusTest.copyTree(Path.of("desired-state"), repo.resolve("desired-state"));
            base = DiffCommandTest.commit(git, "the bundled state");
            Path web = repo.resolve("desired-state/groups/web.yaml");
            Files.writeString(web, Files.readString(web).replace("    allow:\n", """
                        allow:
                          - from: web-app-1
                            to: host
                            protocol: tcp
                            ports: [22]
                            reason: debugging the resolver
                    """));
            head = DiffCommandTest.commit(git, "let web-app-1 in to the host");
        }
    }

    @Test
    void theBaseRevisionKeepsEveryInvariant() {
        CliRun run = CliRun.of("validate", "--repo", repo.toString(), "--rev", base);

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).endsWith("valid: 1 host, 3 groups, 9 VMs, 1 warning\n");
    }

    @Test
    void validateExits1NamingTheExceptionAndTheInvariant() {
        CliRun run = CliRun.of("validate", "--repo", repo.toString(), "--rev", head);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEqualTo(""
                + "groups/web.yaml:26:9: exception 1 of group web (web-app-1 -> host) breaks invariant no-ssh-to-the-host "
                + "(policies/isolation.yaml:20): vm:web-app-1 -> host tcp 22\n"
                + "groups/web.yaml:45:18: warning: firewall exception expired on 2025-06-30 and is ignored\n"
                + "policies/isolation.yaml:20:7: invariant no-ssh-to-the-host (deny from label:zone=guest to host tcp 22) is violated: "
                + "vm:web-app-1 -> host tcp 22 (allowed by exception 1 of group web (web-app-1 -> host) at groups/web.yaml:26:9)\n"
                + "invalid: 2 errors, 1 warning\n");
    }

    @Test
    void diffInMarkdownShowsTheBrokenInvariantFirst() {
        CliRun run = CliRun.of("diff", "--repo", repo.toString(), "--from", base, "--to", head, "--format", "markdown");

        assertThat(run.exitCode()).isZero();
        String md = run.out();
        assertThat(md).startsWith("### qfence isolation diff `" + base.substring(0, 12) + "` → `" + head.substring(0, 12) + "`\n\n"
                + "**:no_entry: Breaks 1 invariant: validate, plan, apply and the daemon refuse this revision.**\n\n"
                + "| invariant | defined at | statement | breaking flows |\n|---|---|---|---|\n"
                + "| `no-ssh-to-the-host` | `policies/isolation.yaml:20` | `deny from label:zone=guest to host tcp 22` | "
                + "`vm:web-app-1 -> host tcp 22 (allowed by exception 1 of group web (web-app-1 -> host) at groups/web.yaml:26:9)` |\n");
        assertThat(md.indexOf("no-ssh-to-the-host")).isLessThan(md.indexOf("Access widens"));
        assertThat(md).contains("| :heavy_plus_sign: gained | `vm:web-app-1` | `host:hv1` | tcp | `22` |");
    }

    @Test
    void diffInJsonAndTextNameItToo() {
        CliRun json = CliRun.of("diff", "--repo", repo.toString(), "--from", base, "--to", head, "--format", "json");
        CliRun text = CliRun.of("diff", "--repo", repo.toString(), "--from", base, "--to", head);

        assertThat(json.out()).contains("\"breaks_invariants\" : true", "\"invariant\" : \"no-ssh-to-the-host\"",
                "\"at\" : \"policies/isolation.yaml:20\"", "\"already_broken\" : false");
        assertThat(text.out()).contains("\nBreaks 1 invariant: validate, plan, apply and the daemon refuse this revision.\n"
                + "  ! no-ssh-to-the-host (policies/isolation.yaml:20): deny from label:zone=guest to host tcp 22\n");
        assertThat(text.out().indexOf("Breaks 1 invariant")).isLessThan(text.out().indexOf("Flows gained"));
    }

    @Test
    void planAndApplyRefuseItWithoutTouchingTheHost() {
        FakeHost host = new FakeHost();
        CliRun plan = CliRun.onHost(CliRun.connector(host), "", "plan", "--repo", repo.toString(), "--rev", head,
                "--no-guests", "--state-dir", state.toString());
        CliRun apply = CliRun.onHost(CliRun.connector(host), "yes\n", "apply", "--auto-approve", "--repo", repo.toString(), "--rev", head,
                "--no-guests", "--state-dir", state.toString());

        for (CliRun run : new CliRun[] {plan, apply}) {
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err()).contains("groups/web.yaml:26:9: exception 1 of group web (web-app-1 -> host) breaks invariant "
                    + "no-ssh-to-the-host (policies/isolation.yaml:20)");
        }
        assertThat(host.calls()).isEmpty();
    }

    /**
     * A group setting, not an exception, breaks an invariant: the finding points at the setting's own key
     * ({@code egress:} of db, line 10), as it points at an exception's {@code - from:}, not at the top of the file.
     */
    @Test
    void aBreachByAGroupSettingPointsAtTheSettingsOwnLine(@TempDir Path copy) throws Exception {
        InvalidCorpusTest.copyTree(Path.of("desired-state"), copy);
        Path db = copy.resolve("groups/db.yaml");
        Files.writeString(db, Files.readString(db).replace("  egress: none\n", "  egress: nat\n"));
        Files.writeString(copy.resolve("policies/isolation.yaml"), Files.readString(copy.resolve("policies/isolation.yaml")) + """
                    - name: db-stays-offline
                      reason: the databases never open connections to the internet
                      deny:
                        from: group:db
                        to: internet
                """);

        CliRun run = CliRun.of("validate", "--dir", copy.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("groups/db.yaml:10:3: egress of group db breaks invariant db-stays-offline (policies/isolation.yaml:46): "
                + "vm:db-bastion -> internet any\n");
        assertThat(run.out()).contains("(allowed by egress of group db at groups/db.yaml:10:3)");
        assertThat(run.out()).doesNotContain("groups/db.yaml:3:1");
    }
}
