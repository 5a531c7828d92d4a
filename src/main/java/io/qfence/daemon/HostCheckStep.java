package io.qfence.daemon;

import io.qfence.daemon.ConvergeRequest.Mode;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.Problem;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.errors.LockHeldException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Carries out {@link CycleDecision.CheckHost}: checks the host against the last applied revision, heals or reports. */
final class HostCheckStep {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final ReconcileSettings settings;
    private final DaemonMemory memory;
    private final HostRunner host;
    private final CycleJournal journal;
    private final Jitter jitter;
    private final QfenceMetrics metrics;
    private final CycleAnnouncements announce;

    HostCheckStep(ReconcileSettings settings, DaemonMemory memory, HostRunner host, CycleJournal journal,
                  Jitter jitter, QfenceMetrics metrics, CycleAnnouncements announce) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.host = Objects.requireNonNull(host, "host");
        this.journal = Objects.requireNonNull(journal, "journal");
        this.jitter = Objects.requireNonNull(jitter, "jitter");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.announce = Objects.requireNonNull(announce, "announce");
    }

    /** How many differences the cycle found and left in place: all of them when it could not heal. */
    static int waiting(CycleOutcome outcome, Mode mode) {
        return (int) outcome.drift().stream().filter(d -> mode == Mode.PLAN_ONLY || !d.healed()).count();
    }

    CycleRecord check(DesiredState state, CycleDecision.CheckHost decision, Optional<Suspension> suspension,
                      Instant now, long startNanos) {
        List<String> notes = new ArrayList<>(decision.expired());
        Mode mode = decision.mode();
        String label = decision.label();
        if (decision.handling() == CycleDecision.DriftHandling.REPORT_WHILE_SUSPENDED) {
            suspension.ifPresent(s -> notes.add("suspended " + s.describe() + ": drift is reported, not healed"));
        } else if (decision.handling() == CycleDecision.DriftHandling.REPORT_AS_CONFIGURED) {
            notes.add("--drift=report: drift is reported, not healed");
        }
        CycleOutcome outcome;
        try {
            outcome = host.run(new ConvergeRequest(settings.host(), state, mode, now));
        } catch (LockHeldException e) {
            // qfence apply is at work: look again at the next poll, not a whole drift interval later
            String message = "host check skipped: " + e.getMessage();
            LOG.atInfo().log(message);
            return journal.record(now, startNanos, label, Outcome.SKIPPED, Optional.of(state.revision()),
                    CycleOutcome.failed(message), notes);
        }
        host.count(outcome, mode == Mode.APPLY);
        memory.hostRan(now);
        announce.observed(outcome.observation(), now);
        memory.hostChecked(new DaemonStatus.HostCheck(now, state.revision(), mode == Mode.APPLY, outcome.drift(),
                outcome.observation().map(HostObservation::guests).orElse(List.of())),
                now.plus(jitter.apply(settings.driftInterval())));
        Outcome result;
        if (!outcome.succeeded()) {
            result = Outcome.FAILED;
            memory.hostCheckFailed(new Problem(outcome.errors().get(0), now));
            LOG.atWarn().addKeyValue("revision", state.revision()).log("host check failed: " + outcome.errors().get(0));
        } else {
            memory.hostCheckSucceeded();
            metrics.driftWaiting(waiting(outcome, mode));
            announce.drift(state.revision(), outcome.drift().stream().filter(d -> mode == Mode.APPLY && d.healed())
                    .toList(), true, now);
            announce.drift(state.revision(), outcome.drift().stream().filter(d -> mode == Mode.PLAN_ONLY || !d.healed())
                    .toList(), false, now);
            announce.expired(state.revision(), decision.expired(), now);
            result = mode == Mode.PLAN_ONLY ? Outcome.SKIPPED
                    : outcome.changedHost() ? Outcome.APPLIED : Outcome.NO_CHANGES;
            if (!outcome.drift().isEmpty()) {
                LOG.atInfo().addKeyValue("revision", state.revision()).addKeyValue("drift", outcome.drift().size())
                        .addKeyValue("healed", mode == Mode.APPLY).log("drift found");
            }
        }
        return journal.record(now, startNanos, label, result, Optional.of(state.revision()), outcome, notes);
    }
}
