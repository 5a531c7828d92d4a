package io.qfence.daemon;

import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.git.MirrorException;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.http.GitWebhook;
import io.qfence.daemon.http.OperatorServer;
import io.qfence.daemon.http.WebhookSecret;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.daemon.notify.Announcer;
import io.qfence.daemon.notify.Outbound;
import io.qfence.daemon.notify.Outbox;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.random.RandomGenerator;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code qfence reconcile}: the GitOps daemon, assembled. It holds {@code stateDir/reconcile.lock} for its whole life
 * (one daemon per state directory), keeps the Git cache, journal and status in {@code stateDir}, runs cycles on a
 * {@link CycleScheduler}, takes the state lock ({@code apply.StateLock}) around each cycle that touches the host,
 * serves the operator interface (health, readiness, metrics, the signed webhook) on loopback unless told otherwise,
 * and reacts at once to {@code qfence suspend}, {@code resume} and {@code approve}.
 * Its locks, Git cache, journal, scheduler, HTTP server, control-file watcher, metrics, rate limiter and monotonic
 * clock come from the composition root ({@link DaemonCollaborators}).
 */
public final class ReconcileDaemon implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReconcileDaemon.class);
    public static final String LOCK_COMMAND = "qfence reconcile";

    /**
     * @param directory     the desired-state directory inside the repository
     * @param trustedKeys   verify every new commit's signature against this directory's keys
     * @param listen        where the operator interface listens (empty: no HTTP at all)
     * @param webhookSecret the shared secret of {@code POST /hooks/git} (empty: no webhook)
     * @param outbound      where commit statuses and notifications go (the forge, the notification webhook)
     */
    public record DaemonOptions(ReconcileSettings settings, RemoteSpec remote, String branch, String directory,
                          Duration fetchTimeout, Optional<Path> trustedKeys, boolean allowRewrite,
                          Optional<InetSocketAddress> listen, Optional<Path> webhookSecret, Outbound.Targets outbound) {
        public DaemonOptions {
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(remote, "remote");
            Objects.requireNonNull(branch, "branch");
            Objects.requireNonNull(directory, "directory");
            Objects.requireNonNull(fetchTimeout, "fetchTimeout");
            Objects.requireNonNull(trustedKeys, "trustedKeys");
            Objects.requireNonNull(listen, "listen");
            Objects.requireNonNull(webhookSecret, "webhookSecret");
            if (webhookSecret.isPresent() && listen.isEmpty()) {
                throw new IllegalArgumentException("a webhook secret needs an address to listen on");
            }
            if (trustedKeys.isPresent() != settings.verifySignatures()) {
                throw new IllegalArgumentException("signature verification needs a trusted-keys directory, and only it");
            }
            Objects.requireNonNull(outbound, "outbound");
        }

        /** Options that tell no forge and no webhook. */
        public DaemonOptions(ReconcileSettings settings, RemoteSpec remote, String branch, String directory,
                             Duration fetchTimeout, Optional<Path> trustedKeys, boolean allowRewrite,
                             Optional<InetSocketAddress> listen, Optional<Path> webhookSecret) {
            this(settings, remote, branch, directory, fetchTimeout, trustedKeys, allowRewrite, listen, webhookSecret,
                    Outbound.Targets.NONE);
        }
    }

    private final Deque<AutoCloseable> resources;
    private final Reconciler reconciler;
    private final QfenceMetrics metrics;
    private final CycleScheduler scheduler;
    private final Optional<OperatorServer> http;
    private final CompletableFuture<Optional<Throwable>> stopped;

    private ReconcileDaemon(Deque<AutoCloseable> resources, Reconciler reconciler, QfenceMetrics metrics,
                            CycleScheduler scheduler, Optional<OperatorServer> http,
                            CompletableFuture<Optional<Throwable>> stopped) {
        this.resources = resources;
        this.reconciler = reconciler;
        this.metrics = metrics;
        this.scheduler = scheduler;
        this.http = http;
        this.stopped = stopped;
    }

    /**
     * Starts the daemon, made of {@code parts}; the first cycle runs at once. A cycle that meets an internal error (a
     * bug: anything outside the closed vocabulary of failures, which the cycle records in the journal and
     * {@code status.json} before it throws) stops the daemon's cycles: {@link #awaitStop()} returns it, and the caller
     * closes the daemon and exits non-zero, so that its supervisor restarts it from the state on disk rather than
     * letting it run on in a state nobody designed.
     */
    public static ReconcileDaemon start(DaemonOptions options, ReconcileCycle cycle, Clock clock, RandomGenerator random,
                                        DaemonCollaborators parts) throws IOException {
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        CompletableFuture<Optional<Throwable>> stopped = new CompletableFuture<>();
        try {
            QfenceMetrics metrics = parts.metrics().apply(options.settings().host());
            Reconciler reconciler = open(options, cycle, clock, random, parts, metrics, resources);
            CycleScheduler scheduler;
            try {
                scheduler = parts.scheduler().start(new CycleScheduler.Runner() {
                    @Override
                    public void run(Trigger trigger) {
                        if (stopped.isDone()) {
                            return; // stopping: after an internal error, no further cycle runs
                        }
                        try {
                            reconciler.cycle(trigger);
                        } catch (RuntimeException | Error e) {
                            LOG.atError().setCause(e).log("internal error in a cycle (recorded in the journal and "
                                    + DaemonStatus.FILE_NAME + "): the daemon stops, for its supervisor to restart it");
                            stopped.complete(Optional.of(e));
                        }
                    }

                    @Override
                    public Instant nextWakeUp() {
                        return reconciler.nextWakeUp();
                    }
                }, Trigger.STARTUP);
            } catch (SchedulerException e) {
                throw new IOException("cannot start the scheduler: " + e.getMessage(), e);
            }
            resources.push(scheduler);
            Optional<OperatorServer> http = Optional.empty();
            if (options.listen().isPresent()) {
                Optional<GitWebhook> webhook = Optional.empty();
                if (options.webhookSecret().isPresent()) {
                    WebhookSecret secret = WebhookSecret.fromFile(options.webhookSecret().get());
                    webhook = Optional.of(new GitWebhook(secret, parts.rateLimiter().get(),
                            delivery -> scheduler.requestNow(Trigger.WEBHOOK), metrics,
                            GitWebhook.DEFAULT_MAX_BODY_BYTES, parts.nanoClock()));
                }
                OperatorServer server = parts.http().start(new OperatorServer.Bind(options.listen().get()),
                        metrics.registry(), reconciler::notReadyBecause, webhook);
                resources.push(server);
                http = Optional.of(server);
            }
            resources.push(parts.control().start(options.settings().stateDir(),
                    () -> scheduler.requestNow(Trigger.CONTROL)));
            LOG.atInfo().addKeyValue("host", options.settings().host()).addKeyValue("remote", options.remote().uri())
                    .addKeyValue("branch", options.branch()).addKeyValue("autoApply", options.settings().autoApply())
                    .log("reconcile daemon started");
            return new ReconcileDaemon(resources, reconciler, metrics, scheduler, http, stopped);
        } catch (IOException | RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    /**
     * {@code --once}: takes the same locks, runs exactly one full cycle, and releases everything. An internal error of
     * the cycle is recorded (journal, {@code status.json}) and thrown.
     */
    public static Reconciler.CycleResult once(DaemonOptions options, ReconcileCycle cycle, Clock clock, RandomGenerator random,
                                         DaemonCollaborators parts) throws IOException {
        Deque<AutoCloseable> resources = new ArrayDeque<>();
        try {
            return open(options, cycle, clock, random, parts, parts.metrics().apply(options.settings().host()), resources).cycle(Trigger.ONCE);
        } finally {
            closeAll(resources);
        }
    }

    private static Reconciler open(DaemonOptions options, ReconcileCycle cycle, Clock clock, RandomGenerator random,
                                   DaemonCollaborators parts, QfenceMetrics metrics, Deque<AutoCloseable> resources)
            throws IOException {
        Path stateDir = options.settings().stateDir();
        Files.createDirectories(stateDir);
        resources.push(parts.daemonLock().acquire(stateDir, LOCK_COMMAND));
        GitMirror mirror;
        try {
            mirror = parts.git().open(stateDir, options.remote());
        } catch (MirrorException e) {
            throw new IOException(e.getMessage(), e);
        }
        resources.push(mirror);
        Journal journal = parts.journals().open(stateDir);
        resources.push(journal);
        RevisionSource source = new GitRevisionSource(mirror, options.branch(), options.directory(),
                options.fetchTimeout(), options.trustedKeys(), options.allowRewrite());
        Reconciler.HostLock lock = cycle.takesStateLock() ? Reconciler.HostLock.BY_THE_CYCLE
                : () -> parts.stateLock().acquire(stateDir, LOCK_COMMAND);
        Announcer announcer = parts.outbound().open(options.outbound(), stateDir, metrics, givenUp(journal, clock));
        resources.push(announcer);
        return new Reconciler(options.settings(), source, cycle, IsolationView.realized(), lock, journal, metrics,
                clock, parts.nanoClock(), random, announcer);
    }

    /**
     * A status or notification given up is a journal record of its own: trigger {@code forge} or {@code webhook},
     * outcome {@code failed}, the commit it concerned, and why. It is not a cycle: {@code qfence_cycles_total} does not
     * count it ({@code qfence_forge_statuses_total} and {@code qfence_notifications_total} do).
     */
    private static Outbox.DeliveryLog givenUp(Journal journal, Clock clock) {
        return (channel, what, revision, attempts, lastError) -> {
            try {
                journal.append(new CycleRecord(clock.instant(), 0, channel, CycleRecord.Outcome.FAILED, revision,
                        Optional.empty(), Optional.empty(), List.of(), List.of(), List.of("gave up delivering " + what
                        + " after " + attempts + (attempts == 1 ? " attempt: " : " attempts: ") + lastError)));
            } catch (IOException e) {
                LOG.atError().setCause(e).log("cannot append to the journal");
            }
        };
    }

    public Reconciler reconciler() {
        return reconciler;
    }

    public QfenceMetrics metrics() {
        return metrics;
    }

    /** Where the operator interface listens (the real port when 0 was asked for). */
    public Optional<InetSocketAddress> httpAddress() {
        return http.map(OperatorServer::address);
    }

    /** Asks for a cycle now, as the webhook does. */
    public void requestCycle(Trigger trigger) {
        scheduler.requestNow(trigger);
    }

    /**
     * Waits until the daemon stops: empty once {@link #close()} ran, or the internal error that stopped its cycles (then
     * close it, and exit non-zero).
     */
    public Optional<Throwable> awaitStop() throws InterruptedException {
        try {
            return stopped.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("never completed exceptionally", e);
        }
    }

    /** Stops: no new cycle starts, a running one finishes, then everything is released. Idempotent. */
    @Override
    public synchronized void close() {
        if (resources.isEmpty()) {
            stopped.complete(Optional.empty());
            return;
        }
        closeAll(resources);
        stopped.complete(Optional.empty());
        LOG.atInfo().log("reconcile daemon stopped");
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.atWarn().setCause(e).log("cannot close " + resource.getClass().getSimpleName());
            }
        }
    }
}
