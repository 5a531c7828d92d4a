package io.qfence.daemon;

import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.model.Diagnostic;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.errors.LockHeldException;
import io.qfence.model.errors.QfenceException;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands one desired state to the host cycle (the engine) under the state lock, and counts what it saw and did. */
final class HostRunner {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final ReconcileCycle hostCycle;
    private final Reconciler.HostLock hostLock;
    private final QfenceMetrics metrics;

    HostRunner(ReconcileCycle hostCycle, Reconciler.HostLock hostLock, QfenceMetrics metrics) {
        this.hostCycle = Objects.requireNonNull(hostCycle, "hostCycle");
        this.hostLock = Objects.requireNonNull(hostLock, "hostLock");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /**
     * Runs the cycle under the state lock, so that {@code qfence apply} and the daemon never change the host together.
     *
     * @throws LockHeldException when the lock is held, here or by a cycle that takes it itself
     */
    CycleOutcome run(ConvergeRequest request) {
        AutoCloseable lock;
        try {
            lock = hostLock.acquire();
        } catch (IOException e) {
            return CycleOutcome.failed("cannot take the state lock: " + e.getMessage());
        }
        try {
            return runHostCycle(request);
        } finally {
            try {
                lock.close();
            } catch (Exception e) {
                LOG.atWarn().setCause(e).log("cannot release the state lock");
            }
        }
    }

    /**
     * The host cycle's failures are the closed vocabulary ({@link QfenceException}: a port that could not observe or
     * change the host, a state that cannot be realized here, a lock that failed): each is this cycle's failure, retried
     * as the decision says. Anything else is a bug and propagates: {@link Reconciler#cycle} records it and throws.
     */
    private CycleOutcome runHostCycle(ConvergeRequest request) {
        try {
            return hostCycle.run(request);
        } catch (LockHeldException e) {
            // a cycle that takes the state lock itself (the engine does) found it held: the same as finding it here
            throw e;
        } catch (QfenceException e) {
            LOG.atWarn().log("the cycle failed before it could report: " + e.getMessage());
            return new CycleOutcome(Optional.empty(), Optional.empty(), List.of(), List.of(), words(e),
                    Optional.empty(), Optional.empty());
        }
    }

    /** A failure as the journal records it: each diagnostic of an invalid state, a port's failure with its port. */
    static List<String> words(QfenceException e) {
        if (e instanceof InvalidInputException invalid && !invalid.diagnostics().isEmpty()) {
            return invalid.diagnostics().stream().map(Diagnostic::toString).toList();
        }
        if (e instanceof HostPortException port) {
            return List.of(port.port().label() + ": " + port.getMessage());
        }
        return List.of(String.valueOf(e.getMessage()));
    }

    /** Feeds what the cycle saw and did into the metrics; drift counts as healed only when it was {@code applied}. */
    void count(CycleOutcome outcome, boolean applied) {
        outcome.observation().ifPresent(o -> {
            metrics.guestsObserved(o.guestsByState());
            metrics.oomKillsObserved(o.oomKillsByVm());
            metrics.dropCountersObserved(o.dropPacketsByCounter());
        });
        for (Drift drift : outcome.drift()) {
            metrics.driftFound(drift.kind());
            if (drift.healed() && applied) {
                metrics.driftHealed(drift.kind(), drift.address());
            }
        }
        for (ActionResult action : outcome.actions()) {
            if ("ok".equals(action.result())) {
                metrics.actionApplied(action.action());
            }
        }
        outcome.applyDuration().ifPresent(metrics::applyTook);
    }
}
