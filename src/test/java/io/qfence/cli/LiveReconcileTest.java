package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.app.Main;
import io.qfence.daemon.CycleOutcome;
import io.qfence.daemon.ConvergeRequest;
import io.qfence.daemon.ReconcileCycle;
import io.qfence.daemon.ReconcileDaemon;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.daemon.trust.TrustedKeys;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.platform.os.NetNamespace;
import io.qfence.testing.BundledState;
import io.qfence.testing.GitCli;
import io.qfence.testing.LoopbackHttp;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Signers;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GitOps daemon on the real kernel: {@code qfence reconcile} with the real engine (real Quartz, real JGit against a
 * bare repository in a temporary directory, rtnetlink, libnftables and cgroupfs) keeps a private sandbox
 * ({@link LiveSandbox}: a namespace and cgroup subtree of the test's own; guests out of scope) at the head of a branch
 * holding the bundled desired state. Its operator interface listens on the sandbox's loopback. Effects are checked
 * with {@code ip} and {@code nft}, not only through what the daemon says; waits are bounded and end on the daemon's
 * own events (a cycle finished), never on a guessed time.
 */
@RequiresHost(tools = {"ip", "nft", "git", "ssh-keygen"}, cgroups = true)
class LiveReconcileTest {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String SECRET = "a webhook secret for this test only";
    /** The bundled db group's replication exception, and the port a commit moves it to. */
    private static final String REPLICATION = "ports: [5432]\n        reason: streaming replication";
    private static final String MOVED_PORT = "5433";
    /** The bundled desired state's exceptions are dated: the daemon lives on the day the bundled tests do. */
    private static final Clock CLOCK = Clock.offset(Clock.systemUTC(),
            Duration.between(Instant.now(), BundledState.CLOCK.instant()));

    @TempDir
    Path tmp;

    private LiveSandbox host;
    private NetNamespace sandboxThread;
    private GitCli work;
    private Path origin;
    private ReconcileDaemon daemon;
    private final BlockingQueue<Finished> finished = new LinkedBlockingQueue<>();

    /** A cycle the engine finished, and when. */
    record Finished(ConvergeRequest request, CycleOutcome outcome, Instant at) {}

    @BeforeEach
    void setUp() throws IOException {
        host = LiveSandbox.create();
        Witness.inNetns(host.name, "ip", "link", "set", "lo", "up");
        sandboxThread = NetNamespace.open(NetNamespace.DEFAULT_DIR.resolve(host.name));
        origin = tmp.resolve("origin.git");
        GitCli.initBare(origin);
        work = GitCli.init(tmp.resolve("work"));
        copy(BundledState.DIR, work.dir().resolve("desired-state"));
        Files.writeString(tmp.resolve("webhook-secret"), SECRET + "\n");
    }

    @AfterEach
    void tearDown() {
        try {
            if (daemon != null) {
                daemon.close();
            }
            if (sandboxThread != null) {
                sandboxThread.close();
            }
        } finally {
            host.close();
        }
    }

    @AfterAll
    static void nothingIsLeft() {
        LiveSandbox.assertNothingLeft();
    }

    // ---- the behaviours

    @Test
    void theDaemonConvergesTheBundledStateAndAppliesACommitThatChangesAnExceptionWithinOneInterval() throws Exception {
        String first = commitAll(work, "the bundled desired state");
        CliRun once = reconcileOnce();
        assertThat(once.exitCode()).as(once.out() + once.err()).isZero();
        assertThat(once.out()).startsWith("applied " + first.substring(0, 12) + " (once, ");
        assertThat(once.err()).contains("keeping network,firewall,cgroups only; guests are left alone");
        linksAndFirewallAreAsRealized();
        assertThat(firewall()).doesNotContain("dport " + MOVED_PORT);

        daemon = start(daemonArgs("--interval", "1s", "--drift-interval", "1h"));
        awaitCycle(f -> f.request().state().revision().equals(first));
        Instant committed = Instant.now();
        String moved = moveReplicationPort(work);
        Finished applied = awaitCycle(f -> f.request().state().revision().equals(moved)
                && f.request().mode() == ConvergeRequest.Mode.APPLY);
        System.out.printf("measured: commit to applied by the schedule (--interval 1s): %d ms%n",
                Duration.between(committed, applied.at()).toMillis());

        assertThat(applied.outcome().succeeded()).as(applied.outcome().errors().toString()).isTrue();
        // narrowing first (tcp/5432 goes), then widening (tcp/5433 comes): never both open, never a moment of more access
        assertThat(applied.outcome().actions()).extracting(CycleRecord.ActionResult::address, CycleRecord.ActionResult::result)
                .containsOnly(org.assertj.core.groups.Tuple.tuple("firewall", "ok"));
        assertThat(firewall()).as("nft's own listing").contains("dport " + MOVED_PORT);
        awaitUntil(() -> lastApplied().equals(moved));
        // the daemon records the revision first and journals the cycle after it: wait for the journal's line too
        awaitJournaled(moved);
        assertThat(Journal.read(host.stateDir()).records()).filteredOn(r -> r.revision().orElse("").equals(moved))
                .extracting(CycleRecord::trigger, CycleRecord::outcome)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("schedule", CycleRecord.Outcome.APPLIED));
        String metrics = awaitMetrics(m -> m.contains("qfence_cycles_total{host=\"hv1\",result=\"applied\"} 1.0"));
        assertThat(metrics).containsPattern("qfence_actions_applied_total\\{action=\"update\",host=\"hv1\"\\} [1-9]")
                .containsPattern("qfence_last_applied_timestamp_seconds\\{host=\"hv1\"\\} \\d\\.\\d+E9");
    }

    @Test
    void aCommitIsAppliedAtOnceThroughTheSignedWebhook() throws Exception {
        String first = commitAll(work, "the bundled desired state");
        daemon = start(daemonArgs("--interval", "1h", "--drift-interval", "1h"));
        awaitCycle(f -> f.request().state().revision().equals(first) && f.outcome().succeeded());
        linksAndFirewallAreAsRealized();

        String moved = moveReplicationPort(work);
        byte[] push = ("{\"ref\":\"refs/heads/main\",\"after\":\"" + moved + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThat(post(push, Map.of("X-Hub-Signature-256", "sha256=" + "0".repeat(64)))).isEqualTo(401);
        Instant delivered = Instant.now();
        assertThat(post(push, Map.of("X-Hub-Signature-256", sign(push), "X-GitHub-Event", "push"))).isEqualTo(204);
        Finished applied = awaitCycle(f -> f.request().state().revision().equals(moved));
        System.out.printf("measured: webhook delivered to applied (--interval 1h): %d ms%n",
                Duration.between(delivered, applied.at()).toMillis());

        assertThat(applied.outcome().succeeded()).as(applied.outcome().errors().toString()).isTrue();
        assertThat(firewall()).contains("dport " + MOVED_PORT);
        awaitUntil(() -> lastApplied().equals(moved));
        awaitJournaled(moved);
        assertThat(Journal.read(host.stateDir()).records()).extracting(CycleRecord::trigger)
                .containsExactly("startup", "webhook");
        assertThat(awaitMetrics(m -> m.contains("qfence_cycles_total{host=\"hv1\",result=\"applied\"} 2.0")))
                .contains("qfence_webhook_requests_total{host=\"hv1\",result=\"accepted\"} 1.0")
                .contains("qfence_webhook_requests_total{host=\"hv1\",result=\"bad-signature\"} 1.0");
    }

    @Test
    void aTapDeletedAndARuleAddedByHandAreHealed() throws Exception {
        String first = commitAll(work, "the bundled desired state");
        daemon = start(daemonArgs("--interval", "1h", "--drift-interval", "1s"));
        awaitCycle(f -> f.request().state().revision().equals(first) && f.outcome().succeeded());
        linksAndFirewallAreAsRealized();
        String tap = host.realization().objects(Link.class).stream().filter(l -> l.kind() == LinkKind.TAP)
                .findFirst().orElseThrow().name();
        String chain = host.witnessJson("nft", "-j", "list", "chains", "inet").findValues("chain").stream()
                .filter(c -> c.path("table").asText().equals("qfence")).findFirst().orElseThrow().path("name").asText();

        finished.clear();
        host.witness("ip", "link", "del", tap);
        host.witness("nft", "add", "rule", "inet", "qfence", chain, "tcp", "dport", "7777", "accept");
        // a drift check may run between the two edits: collect what the cycles healed until both kinds are back
        java.util.Set<String> healedKinds = new java.util.TreeSet<>();
        while (!healedKinds.containsAll(List.of("link", "firewall"))) {
            Finished cycle = awaitCycle(f -> !f.outcome().drift().isEmpty());
            assertThat(cycle.outcome().succeeded()).as(cycle.outcome().errors().toString()).isTrue();
            cycle.outcome().drift().stream().filter(CycleRecord.Drift::healed).map(CycleRecord.Drift::kind)
                    .forEach(healedKinds::add);
        }

        assertThat(host.link(tap)).as("ip link: the tap is back").isPresent();
        assertThat(firewall()).as("nft: the hand-made rule is gone").doesNotContain("dport 7777");
        linksAndFirewallAreAsRealized();
        assertThat(awaitMetrics(m -> m.contains("qfence_drift_healed_total{host=\"hv1\",kind=\"link\"}")
                && m.contains("qfence_drift_healed_total{host=\"hv1\",kind=\"firewall\"}")))
                .containsPattern("qfence_drift_healed_total\\{host=\"hv1\",kind=\"link\"\\} [1-9]")
                .containsPattern("qfence_drift_healed_total\\{host=\"hv1\",kind=\"firewall\"\\} [1-9]")
                .containsPattern("qfence_drift_found_total\\{host=\"hv1\",kind=\"link\"\\} [1-9]");
    }

    @Test
    void withVerificationOnAnUnsignedCommitIsRefusedAndTheHostIsLeftAsItWas() throws Exception {
        Path trusted = Files.createDirectory(tmp.resolve("trusted"));
        String first;
        try (Signers signers = Signers.in(tmp.resolve("keys"))) {
            Path bobKey = signers.sshKey("bob");
            Files.writeString(trusted.resolve(TrustedKeys.ALLOWED_SIGNERS),
                    Signers.allowedSignersLine("bob@example.org", bobKey));
            GitCli bob = signers.signingWithSsh(work.as("Bob Builder", "bob@example.org"), bobKey);
            first = commitAll(bob, "the bundled desired state", "-S");
        }
        daemon = start(daemonArgs("--interval", "1s", "--drift-interval", "1h", "--verify-signatures",
                "--trusted-keys", trusted.toString()));
        awaitCycle(f -> f.request().state().revision().equals(first) && f.outcome().succeeded());
        linksAndFirewallAreAsRealized();
        String rulesBefore = rulesWithoutCounters();
        List<String> linksBefore = linkNames();

        String unsigned = moveReplicationPort(work.as("Eve Eager", "eve@example.org"));
        awaitUntil(() -> Journal.read(host.stateDir()).records().stream()
                .anyMatch(r -> r.outcome() == CycleRecord.Outcome.REFUSED));

        CycleRecord refused = Journal.read(host.stateDir()).records().stream()
                .filter(r -> r.outcome() == CycleRecord.Outcome.REFUSED).findFirst().orElseThrow();
        assertThat(refused.revision()).contains(unsigned);
        assertThat(refused.errors()).anySatisfy(e -> assertThat(e).contains("commit " + unsigned.substring(0, 12))
                .contains("Eve Eager <eve@example.org>").contains("unsigned"));
        assertThat(finished).as("the engine never saw the refused revision")
                .noneMatch(f -> f.request().state().revision().equals(unsigned));
        assertThat(lastApplied()).isEqualTo(first);
        assertThat(rulesWithoutCounters()).as("nft: the firewall is unchanged").isEqualTo(rulesBefore)
                .doesNotContain("dport " + MOVED_PORT);
        assertThat(linkNames()).as("ip link: the links are unchanged").isEqualTo(linksBefore);
        assertThat(awaitMetrics(m -> m.contains("qfence_cycles_total{host=\"hv1\",result=\"refused\"} 1.0")))
                .contains("qfence_cycles_total{host=\"hv1\",result=\"applied\"} 1.0");
    }

    // ---- the daemon, as qfence reconcile runs it

    /** The real command line: the bare repository and the sandbox's host options; guests out of scope. */
    private List<String> reconcileArgs(String... more) {
        List<String> args = new ArrayList<>(List.of("reconcile", "--repo", origin.toString(), "--branch", "main",
                "--host", BundledState.HOST, "--max-retry-delay", "2s"));
        args.addAll(host.hostArgs().stream().filter(a -> !a.equals("--dir") && !a.equals(BundledState.DIR.toString()))
                .toList());
        args.addAll(List.of(more));
        return args;
    }

    /** The daemon's command line: with its operator interface and the signed webhook. */
    private List<String> daemonArgs(String... more) {
        List<String> args = reconcileArgs("--listen", "127.0.0.1:0", "--webhook-secret",
                tmp.resolve("webhook-secret").toString());
        args.addAll(List.of(more));
        return args;
    }

    /** {@code qfence reconcile --once}, run by the real CLI with the live host and the engine. */
    private CliRun reconcileOnce() {
        return CliRun.live(reconcileArgs("--listen", "none", "--once").toArray(String[]::new));
    }

    /**
     * Parses {@code args} with the real command line, gets the cycle from the composition root, and starts the daemon
     * on the sandbox's thread, so that its operator interface listens on the sandbox's loopback.
     */
    private ReconcileDaemon start(List<String> args) {
        CliContext context = new CliContext(CLOCK, HostRealization.realizer(), Main.liveHost(),
                new java.io.BufferedReader(new java.io.StringReader("")), Main.liveCycles(Main.liveHost()),
                Main.daemonCollaborators());
        picocli.CommandLine.ParseResult parsed = Cli.commandLine(context).parseArgs(args.toArray(String[]::new));
        ReconcileCommand command = (ReconcileCommand) parsed.subcommand().commandSpec().userObject();
        ReconcileDaemon.DaemonOptions options = command.options();
        ReconcileCycle engine = context.cycles().create(command.where(options));
        ReconcileCycle observed = new ReconcileCycle() {
            @Override
            public CycleOutcome run(ConvergeRequest request) {
                CycleOutcome outcome = engine.run(request);
                finished.add(new Finished(request, outcome, Instant.now()));
                return outcome;
            }

            @Override
            public boolean takesStateLock() {
                return engine.takesStateLock();
            }
        };
        io.qfence.daemon.git.HermeticGitConfig.install();
        return sandboxThread.call(() -> ReconcileDaemon.start(options, observed, CLOCK, new SecureRandom(), context.daemon()));
    }

    private Finished awaitCycle(Predicate<Finished> which) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Finished f = left > 0 ? finished.poll(left, TimeUnit.NANOSECONDS) : null;
            if (f == null) {
                throw new AssertionError("no such cycle within " + WAIT + "; journal: " + journal());
            }
            if (which.test(f)) {
                return f;
            }
        }
    }

    // ---- the repository

    private static String commitAll(GitCli git, String message, String... extra) {
        git.run("add", "desired-state");
        List<String> args = new ArrayList<>(List.of("commit", "-q", "-m", message));
        args.addAll(List.of(extra));
        git.run(args.toArray(String[]::new));
        git.run("push", "-q", "../origin.git", "HEAD:refs/heads/main");
        return git.revParse("HEAD");
    }

    /** Moves the db group's replication exception from tcp/5432 to tcp/5433, and pushes. */
    private String moveReplicationPort(GitCli git) throws IOException {
        Path db = git.dir().resolve("desired-state/groups/db.yaml");
        String yaml = Files.readString(db);
        assertThat(yaml).contains(REPLICATION);
        Files.writeString(db, yaml.replace(REPLICATION, REPLICATION.replace("5432", MOVED_PORT)));
        return commitAll(git, "db: replication moves to " + MOVED_PORT);
    }

    private String lastApplied() throws IOException {
        return LastApplied.read(host.stateDir()).map(l -> l.revision().hex()).orElse("");
    }

    private String journal() {
        try {
            return Journal.read(host.stateDir()).records().toString();
        } catch (IOException | RuntimeException e) {
            return "unreadable: " + e;
        }
    }

    // ---- witnesses

    private String firewall() {
        return host.witness("nft", "list", "table", "inet", "qfence");
    }

    private String rulesWithoutCounters() {
        return (firewall() + host.witness("nft", "list", "table", "bridge", "qfence"))
                .replaceAll("packets \\d+ bytes \\d+", "");
    }

    private List<String> linkNames() {
        return host.links().stream().map(l -> l.path("ifname").asText()).sorted().toList();
    }

    /** Every link and nft table of the realization is there, as ip and nft list them. */
    private void linksAndFirewallAreAsRealized() {
        List<String> links = linkNames();
        for (Link l : host.realization().objects(Link.class)) {
            assertThat(links).as("ip link").contains(l.name());
        }
        assertThat(host.witness("nft", "list", "tables")).contains("table inet qfence").contains("table bridge qfence");
    }

    // ---- the operator interface, from inside the sandbox

    private String awaitMetrics(Predicate<String> ready) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String metrics = get("/metrics");
        while (!ready.test(metrics)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("metrics not as expected within " + WAIT + ":\n" + metrics);
            }
            TimeUnit.MILLISECONDS.sleep(100);
            metrics = get("/metrics");
        }
        return metrics;
    }

    private void awaitUntil(Check check) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT + "; journal: " + journal());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    /** Until the journal holds a cycle of {@code revision}: it is appended after the last-applied record. */
    private void awaitJournaled(String revision) throws Exception {
        awaitUntil(() -> Journal.read(host.stateDir()).records().stream()
                .anyMatch(r -> r.revision().orElse("").equals(revision)));
    }

    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }

    private String get(String path) {
        int port = daemon.httpAddress().orElseThrow().getPort();
        LoopbackHttp.Response r = sandboxThread.call(() -> LoopbackHttp.send(port, "GET", path, null, Map.of()));
        if (r.status() >= 400) {
            throw new AssertionError("GET " + path + ": " + r.status() + " " + r.body());
        }
        return r.body();
    }

    private int post(byte[] body, Map<String, String> headers) {
        int port = daemon.httpAddress().orElseThrow().getPort();
        return sandboxThread.call(() -> LoopbackHttp.send(port, "POST", "/hooks/git", body, headers)).status();
    }

    private static String sign(byte[] body) {
        return LoopbackHttp.hubSignature(SECRET, body);
    }

    private static void copy(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
