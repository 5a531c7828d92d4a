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
 * parameter here too: {@code nanoClock} (monotonic nanoseconds) times the webhook's log budget, and the rate limiter
 * comes with its own.
 *
 * @param git         opens the Git cache of the state directory, for one remote
 * @param journals    opens the cycle journal of the state directory
 * @param scheduler   starts the cycle schedule (Quartz), whose first cycle runs at once
 * @param http        starts the operator interface (health, readiness, metrics, the webhook)
 * @param rateLimiter a fresh rate limiter for the webhook's deliveries
 * @param nanoClock   monotonic nanoseconds, as {@link System#nanoTime()}
 */
public record DaemonCollaborators(Mirrors git, Journals journals, Schedulers scheduler, Servers http,
                                  Supplier<RateLimiter> rateLimiter, LongSupplier nanoClock) {

    public DaemonCollaborators {
        Objects.requireNonNull(git, "git");
        Objects.requireNonNull(journals, "journals");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(rateLimiter, "rateLimiter");
        Objects.requireNonNull(nanoClock, "nanoClock");
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
