package io.qfence.daemon;

import io.qfence.daemon.ConvergeRequest.Mode;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.Problem;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.model.errors.LockHeldException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the decisions about a new revision: {@link CycleDecision.ApplyRevision} (apply, record
 * {@code last-applied} atomically, or back off) and {@link CycleDecision.HoldRevision} (remember why it is pending,
 * and journal the verdict when it first appears or changes).
 */
final class RevisionSteps {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final ReconcileSettings settings;
    private final DaemonMemory memory;
    private final HostRunner host;
    private final CycleJournal journal;
    private final QfenceMetrics metrics;
    private final Jitter jitter;
    private final Clock clock;
    private final CycleAnnouncements announce;

    RevisionSteps(ReconcileSettings settings, DaemonMemory memory, HostRunner host, CycleJournal journal,
                  QfenceMetrics metrics, Jitter jitter, Clock clock, CycleAnnouncements announce) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.host = Objects.requireNonNull(host, "host");
        this.journal = Objects.requireNonNull(journal, "journal");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.jitter = Objects.requireNonNull(jitter, "jitter");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.announce = Objects.requireNonNull(announce, "announce");
    }

    /** The record to journal when the verdict is new or changed; empty when it was journaled already. */
    Optional<CycleRecord> hold(Verdict.Blocked verdict, Instant now, long startNanos, Trigger trigger) {
        if (!memory.held(verdict, now)) {
            return Optional.empty();
        }
        announce.held(verdict, now);
        List<String> errors = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (verdict.isError()) {
            errors.add(verdict.message());
            errors.addAll(CycleJournal.cap(verdict.details()));
            memory.errorSeen(new Problem(verdict.message(), now));
            LOG.atWarn().addKeyValue("revision", verdict.revision().hex()).log(verdict.message());
        } else {
            notes.add(verdict.message());
            notes.addAll(CycleJournal.cap(verdict.details()));
            LOG.atInfo().addKeyValue("revision", verdict.revision().hex()).log(verdict.message());
        }
        CycleOutcome outcome = new CycleOutcome(Optional.empty(), Optional.empty(), List.of(), List.of(), errors,
                Optional.empty(), Optional.empty());
        return Optional.of(journal.record(now, startNanos, trigger.label(), verdict.outcome(),
                Optional.of(verdict.revision().hex()), outcome, notes));
    }

    CycleRecord apply(Verdict.Ready ready, Instant now, long startNanos, Trigger trigger) {
        List<String> notes = new ArrayList<>(ready.notes());
        String revision = ready.revision().hex();
        CycleOutcome outcome;
        try {
            outcome = host.run(new ConvergeRequest(settings.host(), ready.state(), Mode.APPLY, now));
        } catch (LockHeldException e) {
            String message = "revision " + ready.revision().abbreviated() + " not applied: " + e.getMessage();
            memory.applyLocked(revision, message, now);
            return journal.record(now, startNanos, trigger.label(), Outcome.SKIPPED, Optional.of(revision),
                    CycleOutcome.failed(message), notes);
        }
        host.count(outcome, true);
        memory.hostRan(now);
        announce.observed(outcome.observation(), now);
        if (outcome.succeeded()) {
            LastApplied record = new LastApplied(ready.revision(), Optional.of(clock.instant()));
            try {
                record.write(settings.stateDir());
            } catch (IOException e) {
                // applied, but not recorded: the next cycle applies it again (idempotent) and retries the write
                outcome = withError(outcome, "applied, but cannot record the last applied revision: " + e.getMessage());
            }
            if (outcome.succeeded()) {
                metrics.revisionApplied(record.appliedAt().orElseThrow());
                Instant nextCheckAt = now.plus(jitter.apply(settings.driftInterval()));
                memory.applied(record, ready.state(), new DaemonStatus.HostCheck(now, revision, true, outcome.drift(),
                        outcome.observation().map(HostObservation::guests).orElse(List.of())), nextCheckAt);
                LOG.atInfo().addKeyValue("revision", revision)
                        .addKeyValue("actions", outcome.actions().size()).log("revision applied");
                metrics.driftWaiting(HostCheckStep.waiting(outcome, Mode.APPLY));
                announce.applied(revision, outcome.actions().size());
                return journal.record(now, startNanos, trigger.label(), outcome.changedHost() ? Outcome.APPLIED
                        : Outcome.NO_CHANGES, Optional.of(revision), outcome, notes);
            }
        }
        Duration retry = memory.applyBackoff().recordFailure();
        String message = "applying revision " + ready.revision().abbreviated() + " failed: "
                + outcome.errors().get(0) + "; retry in " + retry.toSeconds() + " s";
        memory.applyFailed(revision, message, now);
        announce.applyFailed(revision, outcome.errors().get(0), now);
        LOG.atWarn().addKeyValue("revision", revision).log(message);
        return journal.record(now, startNanos, trigger.label(), Outcome.FAILED, Optional.of(revision), outcome, notes);
    }

    private static CycleOutcome withError(CycleOutcome outcome, String error) {
        List<String> errors = new ArrayList<>(outcome.errors());
        errors.add(error);
        return new CycleOutcome(outcome.planDigest(), outcome.summary(), outcome.actions(), outcome.drift(), errors,
                outcome.applyDuration(), outcome.observation());
    }
}
