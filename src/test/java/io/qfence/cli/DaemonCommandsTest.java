package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.daemon.CycleOutcome;
import io.qfence.daemon.ConvergeRequest;
import io.qfence.daemon.HostObservation;
import io.qfence.daemon.HostObservation.GuestStatus;
import io.qfence.daemon.control.Approval;
import io.qfence.daemon.control.DaemonLock;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.Pending;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.journal.CycleRecord.PlanSummary;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.model.host.GuestState;
import io.qfence.testing.GitCli;
import io.qfence.testing.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reconcile --once}, {@code status}, {@code suspend}, {@code resume} and {@code approve}, as people call them. */
class DaemonCommandsTest {

    static final String A = "0123456789abcdef0123456789abcdef01234567";
    static final String B = "89abcdef0123456789abcdef0123456789abcdef";
    static final Instant T = Instant.parse("2026-06-01T12:00:00Z");

    @TempDir
    Path tmp;

    @Test
    void reconcileOnceAppliesTheHeadThenFindsNothingToDo() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        copy(Path.of("src/test/resources/invalid/_base"), origin.dir().resolve("desired-state"));
        origin.run("add", "desired-state");
        origin.run("commit", "-q", "-m", "alpha and beta");
        List<ConvergeRequest> requests = new ArrayList<>();
        CycleFactory cycles = where -> request -> {
            requests.add(request);
            boolean first = requests.size() == 1;
            return new CycleOutcome(Optional.of("sha256:x"), Optional.of(new PlanSummary(first ? 1 : 0, 0, 0)),
                    first ? List.of(new ActionResult("firewall", "create", "ok", 1, Optional.empty())) : List.of(),
                    List.of(), List.of(), Optional.empty(), Optional.of(HostObservation.NONE));
        };
        String[] args = {"reconcile", "--once", "--repo", origin.dir().toString(), "--host", "hv1", "--state-dir",
            tmp.resolve("state").toString()};

        CliRun first = CliRun.withCycles(cycles, args);
        CliRun second = CliRun.withCycles(cycles, args);

        String head = origin.revParse("HEAD");
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).startsWith("applied " + head.substring(0, 12) + " (once, 1 action)\n");
        assertThat(second.exitCode()).isZero();
        assertThat(second.out()).isEqualTo("no changes " + head.substring(0, 12) + " (once)\n");
        assertThat(requests).extracting(ConvergeRequest::mode).containsOnly(ConvergeRequest.Mode.APPLY);
        assertThat(LastApplied.read(tmp.resolve("state")).orElseThrow().revision().hex()).isEqualTo(head);
        assertThat(DaemonLock.running(tmp.resolve("state"))).as("--once releases its lock").isEmpty();
    }

    @Test
    void reconcileOnceExitsOneWhenTheRevisionIsInvalid() throws Exception {
        GitCli origin = GitCli.init(tmp.resolve("origin"));
        origin.commitFile("desired-state/groups/alpha.yaml", "name: [\n", "broken");
        CliRun run = CliRun.withCycles(where -> request -> {
            throw new AssertionError("nothing may be applied");
        }, "reconcile", "--once", "--repo", origin.dir().toString(), "--host", "hv1", "--state-dir",
                tmp.resolve("state").toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).startsWith("failed ").contains("is invalid");
    }

    @Test
    void reconcileRefusesOptionsThatDoNotGoTogether() {
        String state = tmp.resolve("state").toString();
        assertThat(CliRun.of("reconcile", "--once", "--repo", "/r", "--host", "h", "--state-dir", state,
                "--verify-signatures").err()).contains("--verify-signatures needs --trusted-keys DIR");
        assertThat(CliRun.of("reconcile", "--once", "--repo", "/r", "--host", "h", "--state-dir", state,
                "--auto-apply", "some").err()).contains("--auto-apply must be all, narrowing or none, not 'some'");
        assertThat(CliRun.of("reconcile", "--once", "--repo", "/r", "--host", "h", "--state-dir", state,
                "--listen", "localhost:80").err()).contains("--listen needs a literal IP address");
        assertThat(CliRun.of("reconcile", "--once", "--repo", "/r", "--host", "h", "--state-dir", state,
                "--interval", "soon").err()).contains("'soon' is not a duration: write e.g. 60s, 5m, 1h30m or 500ms");
        assertThat(CliRun.of("reconcile", "--once", "--repo", "http://example.org/r.git", "--host", "h",
                "--state-dir", state).err()).contains("plain http is refused");
        CliRun noEngine = CliRun.of("reconcile", "--once", "--repo", "/r", "--host", "h", "--state-dir", state);
        assertThat(noEngine.exitCode()).isEqualTo(1);
        assertThat(noEngine.err()).contains("needs the reconcile engine");
    }

    @Test
    void reconcileRefusesForgeNotificationAndDriftOptionsWithPreciseMessages() throws Exception {
        String state = tmp.resolve("state").toString();
        Path token = tmp.resolve("token");
        Files.writeString(token, "t0ken\n");
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        String[] base = {"reconcile", "--once", "--repo", "/r", "--host", "h", "--state-dir", state};

        assertThat(reconcile(base, "--drift", "ignore").err()).contains("--drift must be heal or report, not 'ignore'");
        assertThat(reconcile(base, "--forge", "bitbucket", "--forge-repo", "a/b", "--forge-token-file", token.toString())
                .err()).contains("--forge must be github, gitlab or gitea, not 'bitbucket'");
        assertThat(reconcile(base, "--forge-repo", "a/b").err())
                .contains("--forge-url, --forge-repo, --forge-token-file and --forge-target-url need --forge github|gitlab|gitea");
        assertThat(reconcile(base, "--forge", "github", "--forge-token-file", token.toString()).err())
                .contains("--forge github needs --forge-repo REPO");
        assertThat(reconcile(base, "--forge", "github", "--forge-repo", "a/b").err())
                .contains("--forge github needs --forge-token-file FILE (a token is never taken from the command line)");
        assertThat(reconcile(base, "--forge", "gitlab", "--forge-repo", "a/b", "--forge-token-file", token.toString())
                .err()).contains("--forge gitlab needs --forge-url (the API root, e.g. https://HOST/api/v4)");
        assertThat(reconcile(base, "--forge", "gitea", "--forge-url", "http://gitea.example.org/api/v1", "--forge-repo",
                "a/b", "--forge-token-file", token.toString()).err()).contains("--forge: the forge URL must be https:// "
                + "(http:// only to a loopback address): http://gitea.example.org/api/v1");
        CliRun worldReadable = reconcile(base, "--forge", "github", "--forge-repo", "acme/fleet", "--forge-token-file",
                token.toString());
        assertThat(worldReadable.exitCode()).isEqualTo(ExitCodes.ERROR);
        assertThat(worldReadable.err()).contains("--forge-token-file " + token + " is readable by every user "
                + "(rw-r--r--): chmod o-r " + token);
        assertThat(reconcile(base, "--notify-url", "https://hooks.example.org/q").err())
                .contains("--notify-url needs --notify-secret-file FILE: every notification is signed");
        assertThat(reconcile(base, "--notify-secret-file", token.toString()).err())
                .contains("--notify-secret-file needs --notify-url URL");
    }

    private static CliRun reconcile(String[] base, String... more) {
        String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return CliRun.of(args);
    }

    @Test
    void statusShowsTheDriftThatWaitsUnderDriftReport() throws Exception {
        Path state = Files.createDirectories(tmp.resolve("state"));
        new LastApplied(CommitId.of(A), Optional.of(T)).write(state);
        new DaemonStatus(1, T, "hv1", "/r", "main", "all", false, T, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(new DaemonStatus.HostCheck(T, A, false,
                        List.of(new Drift("group.alpha/vm.alpha-app/tap", "link", false)), List.of())),
                Optional.empty(), Optional.empty(), Optional.empty(), "report").write(state);

        String out = CliRun.of("status", "--state-dir", state.toString()).out();

        assertThat(out).contains("; drift reported, not healed (--drift=report)")
                .contains("1 found at " + T + ", 0 healed; waiting (--drift=report: reported, not healed)")
                .contains("not healed  link group.alpha/vm.alpha-app/tap");
    }

    @Test
    void statusReportsEverythingTheDaemonKnows() throws Exception {
        Path state = Files.createDirectories(tmp.resolve("state"));
        new LastApplied(CommitId.of(A), Optional.of(T)).write(state);
        new Suspension(T.plusSeconds(60), "alice", Optional.of("maintenance window")).write(state);
        new DaemonStatus(4242, T.minusSeconds(3600), "hv1", "/srv/git/fleet", "main", "narrowing", true,
                T.plusSeconds(120), Optional.of(new DaemonStatus.Head(B, T.plusSeconds(120))), Optional.empty(),
                Optional.of(new Pending(B, PendingState.AWAITING_APPROVAL, "revision 89abcdef0123 widens access "
                        + "(vm:alpha-app -> vm:beta-db tcp/5433) and waits for approval: run qfence approve " + B,
                        T.plusSeconds(90))),
                Optional.of(new DaemonStatus.LastCycle(T.plusSeconds(120), "drift", "skipped")), Optional.empty(),
                Optional.of(new DaemonStatus.HostCheck(T.plusSeconds(120), A, false,
                        List.of(new Drift("group.alpha/vm.alpha-app/tap", "link", false)),
                        List.of(new GuestStatus("alpha-app", "alpha", GuestState.RUNNING),
                                new GuestStatus("beta-db", "beta", GuestState.CRASHED)))),
                Optional.of(T.plusSeconds(180)), Optional.of(T.plusSeconds(420)), Optional.empty(), "heal").write(state);

        CliRun text = CliRun.of("status", "--state-dir", state.toString());
        CliRun json = CliRun.of("status", "--state-dir", state.toString(), "--format", "json");

        assertThat(text.exitCode()).isZero();
        Golden.assertMatches(CliGoldenTest.GOLDEN.resolve("status.txt"), text.out());
        assertThat(json.out()).contains("\"running\" : false", "\"suspended\" : true", "\"revision\" : \"" + A + "\"",
                "\"state\" : \"AWAITING_APPROVAL\"", "\"vm\" : \"beta-db\"");
    }

    @Test
    void statusWithoutAStatusFileFallsBackOnTheJournal() throws Exception {
        Path state = Files.createDirectories(tmp.resolve("state"));
        CliRun run = CliRun.of("status", "--state-dir", state.toString());

        assertThat(run.out()).isEqualTo("""
                Daemon:     not running
                Applied:    nothing yet
                Suspended:  no
                Pending:    none
                Last error: none
                Drift:      not checked yet
                Guests:     not observed yet
                """);
        assertThat(CliRun.of("status", "--state-dir", tmp.resolve("absent").toString()).err())
                .contains("no state directory");
    }

    @Test
    void suspendAndResumeWriteAndRemoveTheSuspension() throws Exception {
        Path state = tmp.resolve("state");

        CliRun suspend = CliRun.of("suspend", "--state-dir", state.toString(), "--by", "alice", "--reason", "upgrade");
        assertThat(suspend.out()).isEqualTo("suspended: the daemon applies and heals nothing until qfence resume "
                + "(no daemon running)\n");
        assertThat(Suspension.read(state)).contains(new Suspension(CliRun.TODAY.instant(), "alice",
                Optional.of("upgrade")));
        assertThat(CliRun.of("status", "--state-dir", state.toString()).out())
                .contains("Suspended:  yes, since 2026-06-01T12:00:00Z by alice: upgrade");

        assertThat(CliRun.of("resume", "--state-dir", state.toString()).out()).isEqualTo("resumed (no daemon running)\n");
        assertThat(Suspension.read(state)).isEmpty();
        assertThat(CliRun.of("resume", "--state-dir", state.toString()).out())
                .isEqualTo("not suspended: nothing to resume\n");
    }

    @Test
    void aStateDirGivenBeforeTheCommandIsTheOneUsedAsForApplyAndState() throws Exception {
        Path state = tmp.resolve("state");
        // read-only first: should the option be ignored again, this fails before suspend could write to /var/lib/qfence
        CliRun absent = CliRun.of("--state-dir", tmp.resolve("absent").toString(), "status");
        assertThat(absent.err()).isEqualTo("qfence: error: no state directory " + tmp.resolve("absent")
                + ": the daemon has never run with it\n");

        CliRun suspend = CliRun.of("--state-dir", state.toString(), "suspend", "--by", "alice");
        CliRun status = CliRun.of("--state-dir", state.toString(), "status");

        assertThat(suspend.exitCode()).isZero();
        assertThat(Suspension.read(state)).isPresent();
        assertThat(status.out()).contains("Suspended:  yes, since 2026-06-01T12:00:00Z by alice");
    }

    @Test
    void approveRecordsExactlyTheCommitAndAcceptsAPrefixOfTheWaitingOne() throws Exception {
        Path state = Files.createDirectories(tmp.resolve("state"));
        new DaemonStatus(1, T, "hv1", "/r", "main", "narrowing", false, T, Optional.empty(), Optional.empty(),
                Optional.of(new Pending(B, PendingState.AWAITING_APPROVAL, "widens", T)), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), "heal")
                .write(state);

        CliRun byPrefix = CliRun.of("approve", "89abcdef", "--state-dir", state.toString(), "--by", "bob");
        assertThat(byPrefix.out()).isEqualTo("approved " + B + ": the daemon applies it now\n");
        assertThat(Approval.read(state, CommitId.of(B))).hasValueSatisfying(a -> assertThat(a.by()).isEqualTo("bob"));

        CliRun full = CliRun.of("approve", A, "--state-dir", state.toString(), "--by", "bob");
        assertThat(full.out()).contains("it is not the revision waiting now");
        assertThat(Approval.read(state, CommitId.of(A))).isPresent();

        CliRun wrongPrefix = CliRun.of("approve", "0123456", "--state-dir", state.toString());
        assertThat(wrongPrefix.exitCode()).isEqualTo(1);
        assertThat(wrongPrefix.err()).contains("'0123456' is not a prefix of the revision that waits (" + B + ")");
        assertThat(CliRun.of("approve", "main", "--state-dir", state.toString()).err())
                .contains("'main' is not a commit id");
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
