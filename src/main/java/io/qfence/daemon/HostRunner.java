package io.qfence.daemon;

import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.model.errors.IoMessages;
import io.qfence.model.errors.LockHeldException;
import java.io.IOException;
import java.util.Objects;
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

    private CycleOutcome runHostCycle(ConvergeRequest request) {
        try {
            return hostCycle.run(request);
        } catch (LockHeldException e) {
            // a cycle that takes the state lock itself (the engine does) found it held: the same as finding it here
            throw e;
        } catch (RuntimeException e) {
            LOG.atWarn().setCause(e).log("the cycle failed without a report");
            return CycleOutcome.failed(IoMessages.describe(e));
        }
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
                metrics.driftHealed(drift.kind());
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
