package io.qfence.daemon;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.git.MirrorException;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.http.GitWebhook;
import io.qfence.daemon.http.OperatorServer;
import io.qfence.daemon.http.RateLimiter;
import io.qfence.daemon.http.Readiness;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.daemon.notify.Announcer;
import io.qfence.daemon.notify.Outbound;
import io.qfence.daemon.notify.Outbox;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.quartz.SchedulerException;

/**
 * What {@link ReconcileDaemon} is made of besides its options and its cycles, handed to it by the composition root
 * ({@code app.Main}): the daemon decides when to open, start and close each, the root decides which. Time is a
 * parameter here too: {@code nanoClock} (monotonic nanoseconds) times each cycle for the journal and the webhook's log
 * budget, and the rate limiter comes with its own.
 *
 * @param git         opens the Git cache of the state directory, for one remote
 * @param journals    opens the cycle journal of the state directory
 * @param scheduler   starts the cycle schedule (Quartz), whose first cycle runs at once
 * @param http        starts the operator interface (health, readiness, metrics, the webhook)
 * @param rateLimiter a fresh rate limiter for the webhook's deliveries
 * @param nanoClock   monotonic nanoseconds, as {@link System#nanoTime()}
 * @param daemonLock  takes the one-daemon-per-state-directory lock, held for the daemon's life
 *                    ({@code daemon.control.DaemonLock})
 * @param stateLock   takes the state lock around a cycle that touches the host and does not take it itself
 *                    ({@code apply.StateLock}, shared with {@code qfence apply})
 * @param control     starts watching the state directory's control files (suspend, resume, approve)
 * @param metrics     a fresh set of the daemon's metrics for the named host (its {@code host} label), with its registry
 * @param outbound    opens what sends commit statuses to the forge and notifications to the webhook (the JDK's HTTP
 *                    client, on a thread of its own)
 */
public record DaemonCollaborators(Mirrors git, Journals journals, Schedulers scheduler, Servers http,
                                  Supplier<RateLimiter> rateLimiter, LongSupplier nanoClock, Locks daemonLock,
                                  Locks stateLock, ControlWatchers control, java.util.function.Function<String, QfenceMetrics> metrics,
                                  Outbounds outbound) {

    public DaemonCollaborators {
        Objects.requireNonNull(git, "git");
        Objects.requireNonNull(journals, "journals");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(rateLimiter, "rateLimiter");
        Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(daemonLock, "daemonLock");
        Objects.requireNonNull(stateLock, "stateLock");
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(outbound, "outbound");
    }

    /**
     * Opens the daemon's outbound port for its options; {@code log} journals each delivery given up, and what was
     * delivered is remembered in {@code stateDir} ({@link io.qfence.daemon.notify.SentLedger}).
     */
    @FunctionalInterface
    public interface Outbounds {
        Announcer open(Outbound.Targets options, Path stateDir, QfenceMetrics metrics, Outbox.DeliveryLog log)
                throws IOException;
    }

    /** Takes a lock file in the state directory without waiting, naming its holder. */
    @FunctionalInterface
    public interface Locks {
        /** @throws io.qfence.model.errors.LockHeldException when another holder has it */
        AutoCloseable acquire(Path stateDir, String holder) throws IOException;
    }

    /** Starts watching the control files of the state directory; {@code onChange} runs after each change. */
    @FunctionalInterface
    public interface ControlWatchers {
        AutoCloseable start(Path stateDir, Runnable onChange) throws IOException;
    }

    @FunctionalInterface
    public interface Mirrors {
        GitMirror open(Path stateDir, RemoteSpec remote) throws MirrorException;
    }

    @FunctionalInterface
    public interface Journals {
        Journal open(Path stateDir) throws IOException;
    }

    @FunctionalInterface
    public interface Schedulers {
        CycleScheduler start(CycleScheduler.Runner runner, Trigger first) throws SchedulerException;
    }

    @FunctionalInterface
    public interface Servers {
        OperatorServer start(OperatorServer.Bind bind, PrometheusRegistry registry, Readiness readiness, Optional<GitWebhook> webhook)
                throws IOException;
    }
}
