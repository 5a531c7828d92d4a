package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.app.Main;
import io.qfence.daemon.ConvergeRequest.Mode;
import io.qfence.daemon.control.DaemonLock;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.http.RateLimiter;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.model.errors.LockHeldException;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNetns;
import io.qfence.testing.LoopbackHttp;
import io.qfence.testing.LoopbackHttp.Response;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon assembled and running for real (Quartz, the control-file watcher, the operator HTTP interface bound in a
 * private network namespace, the signed webhook), against a repository made with the git CLI and a fake host. Waits
 * are bounded by events (the fake host's requests, files), never by sleeping for a guessed time.
 */
@RequiresHost(tools = {"ip", "git"})
class ReconcileDaemonTest {

    private static final String SECRET = "It's a Secret to Everybody";
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static TestNetns netns;

    @TempDir
    Path tmp;

    DesiredRepo repo;
    Path stateDir;
    FakeCycle host;
    ReconcileDaemon daemon;

    @BeforeAll
    static void createNamespace() {
        netns = TestNetns.create("daemon");
    }

    @AfterAll
    static void deleteNamespace() {
        if (netns != null) {
            netns.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        repo = DesiredRepo.create(tmp.resolve("origin"));
        stateDir = tmp.resolve("state");
        host = new FakeCycle();
        Files.writeString(tmp.resolve("secret"), SECRET + "\n");
    }

    @AfterEach
    void tearDown() {
        if (daemon != null) {
            daemon.close();
        }
    }

    ReconcileDaemon.DaemonOptions options(Duration interval, Duration driftInterval) {
        ReconcileSettings settings = new ReconcileSettings("hv1", stateDir, interval, driftInterval, 0.1,
                Duration.ofSeconds(1), Duration.ofSeconds(5), AutoApply.ALL, false);
        return new ReconcileDaemon.DaemonOptions(settings, new RemoteSpec.LocalRepository(repo.git.dir()), "main",
                DesiredRepo.DIR, Duration.ofSeconds(20), Optional.empty(), false,
                Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                Optional.of(tmp.resolve("secret")));
    }

    ReconcileDaemon start(ReconcileDaemon.DaemonOptions options) throws Exception {
        return start(options, Main.daemonCollaborators());
    }

    ReconcileDaemon start(ReconcileDaemon.DaemonOptions options, DaemonCollaborators parts) throws Exception {
        // bound in the namespace: the server socket is created on the namespace's thread
        return netns.call(() -> ReconcileDaemon.start(options, host, Clock.systemUTC(), new SecureRandom(), parts));
    }

    /**
     * The daemon is made of what the composition root gives it: here a rate limiter that admits one delivery per client
     * and a clock that never moves, so no token ever comes back. The first signed delivery is accepted, the second is
     * refused with 429 and triggers nothing.
     */
    @Test
    void theWebhookIsLimitedByTheRateLimiterAndClockTheRootGives() throws Exception {
        DaemonCollaborators real = Main.daemonCollaborators();
        LongSupplier stopped = () -> 0L;
        DaemonCollaborators parts = new DaemonCollaborators(real.git(), real.journals(), real.scheduler(), real.http(),
                () -> new RateLimiter(new RateLimiter.Buckets(1, Duration.ofMinutes(1), 100, Duration.ofMillis(1), 64), stopped),
                stopped, real.daemonLock(), real.stateLock(), real.control(), real.metrics(), real.outbound());
        daemon = start(options(Duration.ofHours(1), Duration.ofHours(1)), parts);
        host.awaitRequest(WAIT);
        awaitUntil(() -> lastApplied().equals(repo.head()));

        byte[] push = ("{\"ref\":\"refs/heads/main\",\"after\":\"" + repo.head() + "\"}").getBytes(StandardCharsets.UTF_8);
        Map<String, String> signed = Map.of("X-Hub-Signature-256", sign(push), "X-GitHub-Event", "push");
        assertThat(post("/hooks/git", push, signed)).isEqualTo(204);
        assertThat(post("/hooks/git", push, signed)).isEqualTo(429);
        awaitUntil(() -> get("/metrics").body().contains("qfence_webhook_requests_total{host=\"hv1\",result=\"rate-limited\"} 1.0"));
        assertThat(get("/metrics").body()).contains("qfence_webhook_requests_total{host=\"hv1\",result=\"accepted\"} 1.0");
    }

    @Test
    void aCommitIsAppliedAtOnceThroughTheSignedWebhookAndNotThroughAnUnsignedOne() throws Exception {
        daemon = start(options(Duration.ofHours(1), Duration.ofHours(1)));
        String first = repo.head();
        assertThat(host.awaitRequest(WAIT).state().revision()).isEqualTo(first);
        awaitUntil(() -> lastApplied().equals(first));
        assertThat(get("/readyz").status()).isEqualTo(200);

        String second = repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "move the database port");
        byte[] push = ("{\"ref\":\"refs/heads/main\",\"after\":\"" + second + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThat(post("/hooks/git", push, Map.of("X-Hub-Signature-256", "sha256=" + "0".repeat(64)))).isEqualTo(401);
        assertThat(post("/hooks/git", push, Map.of())).isEqualTo(401);
        assertThat(post("/hooks/git", push, Map.of("X-Hub-Signature-256", sign(push), "X-GitHub-Event", "push")))
                .isEqualTo(204);

        ConvergeRequest applied = host.awaitRequest(WAIT);
        assertThat(applied.state().revision()).isEqualTo(second);
        assertThat(applied.mode()).isEqualTo(Mode.APPLY);
        awaitUntil(() -> lastApplied().equals(second));
        assertThat(host.requests()).as("the unsigned deliveries triggered nothing").hasSize(2);

        // last-applied is written before the cycle's record and metrics: wait for the metric, not only the file
        awaitUntil(() -> get("/metrics").body().contains("qfence_cycles_total{host=\"hv1\",result=\"applied\"} 2.0"));
        String metrics = get("/metrics").body();
        assertThat(metrics).contains("qfence_webhook_requests_total{host=\"hv1\",result=\"accepted\"} 1.0")
                .contains("qfence_webhook_requests_total{host=\"hv1\",result=\"bad-signature\"} 1.0")
                .contains("qfence_webhook_requests_total{host=\"hv1\",result=\"unsigned\"} 1.0")
                .contains("qfence_cycles_total{host=\"hv1\",result=\"applied\"} 2.0")
                .contains("qfence_git_fetches_total{host=\"hv1\",result=\"updated\"} 2.0")
                .containsPattern("qfence_last_applied_timestamp_seconds\\{host=\"hv1\"\\} \\d\\.\\d+E9");
        assertThat(Journal.read(stateDir).records()).extracting(CycleRecord::trigger)
                .containsExactly("startup", "webhook");
    }

    @Test
    void aCommitIsAppliedWithinOneIntervalAndDriftIsHealedAtTheDriftInterval() throws Exception {
        daemon = start(options(Duration.ofMillis(500), Duration.ofSeconds(2)));
        host.awaitRequest(WAIT);
        String second = repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "move the database port");

        assertThat(host.awaitRevision(second, WAIT).mode()).isEqualTo(Mode.APPLY);
        awaitUntil(() -> lastApplied().equals(second));

        host.thenDrift("group.alpha/vm.alpha-app/tap");
        ConvergeRequest check = host.awaitRequest(WAIT);
        assertThat(check.state().revision()).isEqualTo(second);
        awaitUntil(() -> Journal.read(stateDir).records().stream().anyMatch(r -> r.trigger().equals("drift")
                && !r.drift().isEmpty()));
        awaitUntil(() -> get("/metrics").body().contains("qfence_drift_healed_total{host=\"hv1\",kind=\"link\"} 1.0"));
        // status.json is replaced after every cycle, and the next host check (2 s later) finds no drift: read the
        // status the healing cycle wrote, not whichever is there when the metric was seen
        awaitUntil(() -> DaemonStatus.read(stateDir).flatMap(DaemonStatus::hostCheck)
                .filter(c -> c.drift().size() == 1 && c.drift().get(0).healed()).isPresent());
    }

    @Test
    void suspendIsHonouredAtOnceAndResumeAppliesWhatWaited() throws Exception {
        daemon = start(options(Duration.ofHours(1), Duration.ofHours(1)));
        host.awaitRequest(WAIT);
        awaitUntil(() -> !lastApplied().isEmpty());
        String first = lastApplied();

        new Suspension(java.time.Instant.now(), "alice", Optional.of("maintenance")).write(stateDir);
        // the watcher asks for a cycle: the host is observed, not changed
        assertThat(host.awaitRequest(WAIT).mode()).isEqualTo(Mode.PLAN_ONLY);
        awaitUntil(() -> get("/readyz").status() == 503);
        assertThat(get("/readyz").body()).startsWith("not ready: suspended since");

        String second = repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "move the database port");
        byte[] push = "{}".getBytes(StandardCharsets.UTF_8);
        assertThat(post("/hooks/git", push, Map.of("X-Hub-Signature-256", sign(push)))).isEqualTo(204);
        awaitUntil(() -> DaemonStatus.read(stateDir).flatMap(DaemonStatus::pending)
                .filter(p -> p.revision().equals(second)).isPresent());
        assertThat(lastApplied()).isEqualTo(first);
        assertThat(host.requests()).extracting(ConvergeRequest::mode).containsExactly(Mode.APPLY, Mode.PLAN_ONLY);
        assertThat(get("/metrics").body()).contains("qfence_suspended{host=\"hv1\"} 1.0");

        Suspension.remove(stateDir);
        ConvergeRequest resumed = host.awaitRevision(second, WAIT);
        assertThat(resumed.mode()).isEqualTo(Mode.APPLY);
        awaitUntil(() -> lastApplied().equals(second));
        awaitUntil(() -> get("/readyz").status() == 200);
    }

    @Test
    void aSecondDaemonOnTheSameStateDirectoryFailsAtOnce() throws Exception {
        daemon = start(options(Duration.ofHours(1), Duration.ofHours(1)));
        host.awaitRequest(WAIT);

        assertThatThrownBy(() -> ReconcileDaemon.once(options(Duration.ofHours(1), Duration.ofHours(1)), host,
                Clock.systemUTC(), new SecureRandom(), Main.daemonCollaborators()))
                .isInstanceOf(LockHeldException.class).hasMessageContaining("(qfence reconcile)");
        assertThat(DaemonLock.running(stateDir)).isPresent();
        daemon.close();
        daemon = null;
        assertThat(DaemonLock.running(stateDir)).isEmpty();
    }

    /**
     * A bug in a cycle (an exception outside the closed vocabulary) stops the daemon once the cycle has recorded it:
     * {@code awaitStop} returns the bug itself (the command then exits non-zero, for systemd to restart it), the journal
     * and {@code status.json} say what happened, and the daemon's lock and metrics are those the root gave it.
     */
    @Test
    void aBugInACycleStopsTheDaemonAfterItIsRecorded() throws Exception {
        IllegalStateException bug = new IllegalStateException("a bug below the ports");
        host.then(request -> {
            throw bug;
        });
        DaemonCollaborators real = Main.daemonCollaborators();
        io.qfence.daemon.metrics.QfenceMetrics given = io.qfence.daemon.metrics.QfenceMetrics.create();
        java.util.List<String> locksTaken = new java.util.concurrent.CopyOnWriteArrayList<>();
        DaemonCollaborators parts = new DaemonCollaborators(real.git(), real.journals(), real.scheduler(), real.http(),
                real.rateLimiter(), real.nanoClock(), (dir, holder) -> {
                    locksTaken.add(holder);
                    return real.daemonLock().acquire(dir, holder);
                }, real.stateLock(), real.control(), host -> given, real.outbound());
        daemon = start(options(Duration.ofHours(1), Duration.ofHours(1)), parts);

        Optional<Throwable> stoppedBy = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(WAIT, daemon::awaitStop);

        assertThat(stoppedBy).containsSame(bug);
        assertThat(Journal.read(stateDir).records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.errors().get(0)).startsWith("internal error").contains("a bug below the ports");
        });
        assertThat(DaemonStatus.read(stateDir).orElseThrow().lastError().orElseThrow().message())
                .contains("a bug below the ports");
        assertThat(daemon.metrics()).isSameAs(given);
        assertThat(locksTaken).containsExactly(ReconcileDaemon.LOCK_COMMAND);
        daemon.close();
        assertThat(daemon.awaitStop()).containsSame(bug);
        assertThat(DaemonLock.running(stateDir)).isEmpty();
        assertThat(LastApplied.read(stateDir)).isEmpty();
    }

    @Test
    void anUnreachableRemoteBacksOffAndAppliesNothing() throws Exception {
        ReconcileDaemon.DaemonOptions base = options(Duration.ofMillis(200), Duration.ofMillis(200));
        ReconcileDaemon.DaemonOptions unreachable = new ReconcileDaemon.DaemonOptions(base.settings(),
                new RemoteSpec.LocalRepository(tmp.resolve("gone")), "main", DesiredRepo.DIR, Duration.ofSeconds(5),
                Optional.empty(), false, base.listen(), base.webhookSecret());
        daemon = start(unreachable);

        awaitUntil(() -> daemon.reconciler().consecutiveFetchFailures() >= 4);
        int failures = daemon.reconciler().consecutiveFetchFailures();
        // the interval is 200 ms but retries back off to 5 s: a handful of attempts, each journaled
        assertThat(failures).isLessThan(10);
        assertThat(host.requests()).isEmpty();
        assertThat(LastApplied.read(stateDir)).isEmpty();
        assertThat(Journal.read(stateDir).records()).allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.errors().get(0)).contains("no repository at");
        });
        assertThat(get("/readyz").body()).isEqualTo("not ready: no revision applied yet\n");
    }

    // ---- helpers

    private String lastApplied() throws Exception {
        return LastApplied.read(stateDir).map(l -> l.revision().hex()).orElse("");
    }

    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }

    /** Polls a condition that an event outside the test's thread makes true, for at most {@link #WAIT}. */
    private static void awaitUntil(Check check) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT);
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    private Response get(String path) throws Exception {
        int port = daemon.httpAddress().orElseThrow().getPort();
        return netns.call(() -> LoopbackHttp.send(port, "GET", path, null, Map.of()));
    }

    private int post(String path, byte[] body, Map<String, String> headers) throws Exception {
        int port = daemon.httpAddress().orElseThrow().getPort();
        return netns.call(() -> LoopbackHttp.send(port, "POST", path, body, headers)).status();
    }

    private static String sign(byte[] body) {
        return LoopbackHttp.hubSignature(SECRET, body);
    }
}
