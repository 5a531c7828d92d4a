package io.qfence.app;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.cli.CycleFactory;
import io.qfence.cli.HostRealization;
import io.qfence.apply.StateLock;
import io.qfence.daemon.CycleScheduler;
import io.qfence.daemon.control.ControlWatcher;
import io.qfence.daemon.control.DaemonLock;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.daemon.DaemonCollaborators;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.http.OperatorServer;
import io.qfence.daemon.http.RateLimiter;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.notify.JdkHttpPoster;
import io.qfence.daemon.notify.Outbound;
import io.qfence.daemon.notify.Outbox;
import io.qfence.daemon.notify.SentLedger;
import io.qfence.host.HostConnector;
import io.qfence.host.HostTarget;
import io.qfence.host.SandboxFactory;
import io.qfence.platform.sandbox.NetnsSandbox;
import io.qfence.verify.SandboxApply;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The composition root: the only place that builds real adapters (the system clock, the live host over rtnetlink,
 * libnftables, /proc/sys, cgroupfs and QEMU, standard input for confirmations, the daemon's cycles over that host and
 * what the daemon is made of, the sandboxes of verify and demo on this machine with their adapters) and hands them on.
 */
public final class Main {

    /** How many guests a sandbox starts at once: QEMU's start and checks are short; the boots overlap anyway. */
    static final int SANDBOX_START_CONCURRENCY = 4;

    private Main() {}

    public static void main(String[] args) {
        daemonLogsAtInfo(args);
        Clock clock = Clock.systemUTC();
        HostConnector host = liveHost();
        CliContext context = new CliContext(clock, HostRealization.realizer(), host,
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), liveCycles(host), daemonCollaborators(),
                verification(host));
        System.exit(Cli.commandLine(context).execute(args));
    }

    /** The real host, for the CLI and for tests that run the CLI against a namespace of their own. */
    public static HostConnector liveHost() {
        return new LiveHost();
    }

    /** {@code qfence reconcile}'s cycles: the engine over {@code host}; for the CLI and for tests of the daemon. */
    public static CycleFactory liveCycles(HostConnector host) {
        return new LiveCycles(host);
    }

    /**
     * What {@code qfence reconcile}'s daemon is made of: the Git cache (JGit), the journal, the Quartz schedule, the
     * operator interface (the JDK's HTTP server), the webhook's rate limiter with its default limits, the monotonic
     * clock (one, for the cycles, the fetches' deadlines and the rate limiter), the daemon's own lock and the state
     * lock it shares with {@code qfence apply} (lock files), the control-file watcher (inotify), its metrics
     * (Prometheus), and its commit statuses and notifications (the JDK's HTTP client on a thread of its own); for the
     * CLI and for tests of the daemon.
     */
    public static DaemonCollaborators daemonCollaborators() {
        LongSupplier monotonic = System::nanoTime;
        return new DaemonCollaborators((stateDir, remote) -> GitMirror.open(stateDir, remote, monotonic), Journal::open,
                CycleScheduler::start, OperatorServer::start,
                () -> new RateLimiter(RateLimiter.Buckets.defaults(), monotonic), monotonic,
                DaemonLock::acquire, StateLock::acquire, ControlWatcher::start, QfenceMetrics::create,
                (options, stateDir, metrics, log) -> Outbound.open(options, JdkHttpPoster.create(),
                        Outbox.threadedTimer(), Outbox.RetryPolicy.DEFAULT, new SecureRandom(), metrics, log,
                        SentLedger.open(stateDir)));
    }

    /**
     * Commands log at WARN (they print what matters themselves); the daemon logs each cycle and each webhook delivery,
     * at INFO, unless {@code QFENCE_LOG_LEVEL} or {@code -Dqfence.log.level} says otherwise. Decided before anything
     * logs, because logback reads the level once, when it starts.
     */
    static void daemonLogsAtInfo(String[] args) {
        // any argument, not the first: host options may come before the command (--netns NS reconcile)
        boolean reconcile = Arrays.asList(args).contains("reconcile");
        if (reconcile && System.getProperty("qfence.log.level") == null && System.getenv("QFENCE_LOG_LEVEL") == null) {
            System.setProperty("qfence.log.level", "INFO");
        }
    }

    /**
     * The sandboxes of verify and demo on this machine, put in place through {@code host} as apply does; their facts,
     * and the demo's, are {@code host}'s own (one detector for the live host and every sandbox).
     */
    public static CliContext.Verification verification(HostConnector host) {
        return new CliContext.Verification(sandboxes(host), SandboxApply.throughApplier(host, SANDBOX_START_CONCURRENCY),
                () -> SandboxWiring.facts(host, HostTarget.THIS_HOST));
    }

    /** Sandboxes on this machine, with the adapters {@code qfence apply} uses and {@code host}'s facts. */
    public static SandboxFactory sandboxes(HostConnector host) {
        return (prefix, probeImages, progress) -> NetnsSandbox.create(prefix, probeImages, progress, SandboxWiring.adapters(host));
    }
}
