package io.qfence.daemon;

import io.qfence.daemon.CycleRequest.Mode;
import io.qfence.daemon.control.Approval;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.Pending;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.control.DaemonStatus.Problem;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.FetchResult;
import io.qfence.daemon.git.GitSourceException;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.daemon.trust.Admission;
import io.qfence.daemon.trust.TrustedKeysException;
import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.errors.LockHeldException;
import io.qfence.plan.diff.FlowEntry;
import io.qfence.plan.diff.FlowSet;
import io.qfence.plan.diff.IsolationDiff;
import io.qfence.source.LoadResult;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's decisions, one cycle at a time; the scheduler only says when. A cycle:
 * <ol>
 *   <li>fetches, when the poll interval is due or a webhook asked (never while the fetch back-off runs);</li>
 *   <li>if the head is not the last applied revision: admits it (history, signatures), validates it, grades it
 *       ({@code --auto-apply}) and, unless suspended, applies it; on success it becomes the last applied revision
 *       (written atomically) and its approval, if any, is spent;</li>
 *   <li>otherwise, when the drift interval is due or an exception expired, checks the host against the last applied
 *       revision and heals it (observes only, while suspended).</li>
 * </ol>
 * A revision that is refused, invalid, waiting for approval or suspended leaves the last applied one in place, and
 * drift is still healed towards it. A revision whose apply failed is retried with back-off, and the host is not
 * healed towards the old revision in between (that would undo the retry's work); each retry is itself a full plan.
 *
 * <p>Every cycle that did something, or failed, is one record in the journal (two when a new revision was refused
 * and the host was checked in the same cycle); a poll that found nothing new only counts in
 * {@code qfence_git_fetches_total}. A verdict about a revision (refused, awaiting approval, invalid) is journaled
 * when it first appears or changes, not at every poll. {@code status.json} is rewritten after every cycle.
 *
 * <p>Single-threaded by contract: {@link #cycle} is synchronized, and the scheduler never runs two at once anyway.
 * Time and randomness are injected: tests step a clock and never sleep.
 */
public final class Reconciler {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    private static final int MAX_ERRORS_RECORDED = 20;
    private static final int MAX_FLOWS_NAMED = 5;

    /** Takes the state lock around a cycle that touches the host ({@code apply.StateLock} in production). */
    @FunctionalInterface
    public interface HostLock {
        /** @throws LockHeldException when {@code qfence apply} (or another holder) has it */
        AutoCloseable acquire() throws IOException;

        /** For a cycle that takes the state lock itself (the engine's {@code apply} does). */
        HostLock BY_THE_CYCLE = () -> () -> { };
    }

    /** What a call to {@link #cycle} did: the journal records it wrote, none for an idle poll. */
    public record Result(List<CycleRecord> records) {
        public Result {
            records = List.copyOf(records);
        }

        public boolean idle() {
            return records.isEmpty();
        }

        /** For {@code --once}: failed or refused is an error; suspended or awaiting approval is not. */
        public boolean failed() {
            return records.stream().anyMatch(r -> r.outcome() == Outcome.FAILED || r.outcome() == Outcome.REFUSED
                    || (r.outcome() == Outcome.SKIPPED && !r.errors().isEmpty()));
        }
    }

    private final ReconcileSettings settings;
    private final RevisionSource source;
    private final ReconcileCycle hostCycle;
    private final IsolationView isolation;
    private final HostLock hostLock;
    private final Journal journal;
    private final QfenceMetrics metrics;
    private final Clock clock;
    private final RandomGenerator random;
    private final Backoff fetchBackoff;
    private final Backoff applyBackoff;
    private final Instant startedAt;

    private Optional<LastApplied> lastApplied;
    private Optional<DesiredState> appliedState = Optional.empty();
    private Optional<CommitId> head = Optional.empty();
    private Optional<Instant> headFetchedAt = Optional.empty();
    private Optional<Problem> fetchError = Optional.empty();
    private Optional<Pending> pending = Optional.empty();
    private Optional<String> journaledVerdict = Optional.empty();
    private Optional<Problem> lastError = Optional.empty();
    private Optional<DaemonStatus.LastCycle> lastCycle = Optional.empty();
    private Optional<DaemonStatus.HostCheck> hostCheck = Optional.empty();
    private Instant nextPollAt;
    private Instant nextHostCheckAt;
    private Optional<Instant> lastHostCheckAt = Optional.empty();
    private boolean lastHostRunFailed;

    public Reconciler(ReconcileSettings settings, RevisionSource source, ReconcileCycle hostCycle,
                      IsolationView isolation, HostLock hostLock, Journal journal, QfenceMetrics metrics, Clock clock,
                      RandomGenerator random) throws IOException {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.source = Objects.requireNonNull(source, "source");
        this.hostCycle = Objects.requireNonNull(hostCycle, "hostCycle");
        this.isolation = Objects.requireNonNull(isolation, "isolation");
        this.hostLock = Objects.requireNonNull(hostLock, "hostLock");
        this.journal = Objects.requireNonNull(journal, "journal");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.fetchBackoff = new Backoff(settings.retryBase(), settings.retryCap(), clock, random);
        this.applyBackoff = new Backoff(settings.retryBase(), settings.retryCap(), clock, random);
        this.startedAt = clock.instant();
        this.nextPollAt = startedAt;
        this.nextHostCheckAt = startedAt;
        this.lastApplied = LastApplied.read(settings.stateDir());
        lastApplied.flatMap(LastApplied::appliedAt).ifPresent(metrics::revisionApplied);
    }

    /** Runs one cycle. Never throws for what a cycle can meet (remote down, bad revision, failed apply). */
    public synchronized Result cycle(Trigger trigger) {
        Instant now = clock.instant();
        long startNanos = System.nanoTime();
        List<CycleRecord> records = new ArrayList<>();
        Optional<Suspension> suspension = readSuspension();

        boolean pollDue = trigger != Trigger.SCHEDULE || !now.isBefore(nextPollAt);
        if (pollDue) {
            fetch(now, trigger).ifPresent(error -> records.add(record(now, startNanos, trigger.label(), Outcome.FAILED,
                    head.map(CommitId::hex), CycleOutcome.failed(error), List.of())));
        }
        loadAppliedState(now);

        Optional<CommitId> applied = lastApplied.map(LastApplied::revision);
        boolean hostChecked = false;
        if (head.isPresent() && !head.equals(applied)) {
            Verdict verdict = evaluate(head.get(), now);
            if (verdict instanceof Verdict.Ready ready) {
                if (suspension.isPresent()) {
                    block(now, startNanos, trigger, records, new Verdict.Blocked(head.get(), Outcome.SKIPPED,
                            PendingState.SUSPENDED, "revision " + head.get().abbreviated() + " is admitted and waits: "
                            + "suspended " + suspension.get().describe() + "; run qfence resume to apply it",
                            List.of()));
                } else if (applyBackoff.mayAttempt()) {
                    records.add(applyRevision(ready, now, startNanos, trigger));
                    hostChecked = true;
                }
                // else: the last apply of this revision failed and its retry waits; nothing to do until then
                if (!suspension.isPresent()) {
                    finish(now, trigger, records);
                    return new Result(records);
                }
            } else {
                block(now, startNanos, trigger, records, (Verdict.Blocked) verdict);
            }
        } else {
            pending = Optional.empty();
            journaledVerdict = Optional.empty();
        }

        List<String> expired = expiredSinceLastCheck(now);
        boolean hostCheckDue = trigger.checksHost() || !now.isBefore(nextHostCheckAt) || !expired.isEmpty();
        if (!hostChecked && hostCheckDue && appliedState.isPresent()) {
            String label = trigger != Trigger.SCHEDULE ? trigger.label() : expired.isEmpty() ? "drift" : "expiry";
            records.add(checkHost(appliedState.get(), suspension, now, startNanos, label, expired));
        }
        finish(now, trigger, records);
        return new Result(records);
    }

    /** When the scheduler should run the next cycle: the earliest of the poll, the host check and an expiry. */
    public synchronized Instant nextWakeUp() {
        Instant next = fetchBackoff.nextAttemptAt().filter(at -> at.isAfter(nextPollAt)).orElse(nextPollAt);
        if (appliedState.isPresent() && nextHostCheckAt.isBefore(next)) {
            next = nextHostCheckAt;
        }
        Optional<Instant> expiry = nextExpiry();
        if (expiry.isPresent() && expiry.get().isBefore(next)) {
            next = expiry.get();
        }
        Optional<Instant> retry = pending.filter(p -> p.state() == PendingState.FAILED)
                .flatMap(p -> applyBackoff.nextAttemptAt());
        if (retry.isPresent() && retry.get().isBefore(next)) {
            next = retry.get();
        }
        return next;
    }

    /** Empty when the daemon does its job; otherwise why not, for {@code /readyz}. */
    public synchronized Optional<String> notReadyBecause() {
        if (lastApplied.isEmpty()) {
            return Optional.of("no revision applied yet");
        }
        Optional<Suspension> suspension = readSuspension();
        if (suspension.isPresent()) {
            return Optional.of("suspended " + suspension.get().describe());
        }
        if (lastHostRunFailed) {
            return Optional.of("the last cycle failed: " + lastError.map(Problem::message).orElse("unknown error"));
        }
        return Optional.empty();
    }

    public synchronized Optional<LastApplied> lastApplied() {
        return lastApplied;
    }

    public synchronized Optional<Pending> pending() {
        return pending;
    }

    public synchronized int consecutiveFetchFailures() {
        return fetchBackoff.consecutiveFailures();
    }

    // ---- fetch

    private Optional<String> fetch(Instant now, Trigger trigger) {
        if (!fetchBackoff.mayAttempt()) {
            LOG.atInfo().addKeyValue("trigger", trigger.label())
                    .addKeyValue("nextAttemptAt", fetchBackoff.nextAttemptAt().map(Instant::toString).orElse("-"))
                    .log("fetch skipped: backing off after a failed fetch");
            return Optional.empty();
        }
        nextPollAt = now.plus(jittered(settings.interval()));
        try {
            FetchResult result = source.fetch();
            fetchBackoff.recordSuccess();
            metrics.gitFetch(result.changed() ? "updated" : "unchanged");
            if (result.changed()) {
                LOG.atInfo().addKeyValue("revision", result.head().hex()).addKeyValue("fastForward", result.fastForward())
                        .log("fetched a new head");
            }
            head = Optional.of(result.head());
            headFetchedAt = Optional.of(now);
            fetchError = Optional.empty();
            return Optional.empty();
        } catch (GitSourceException e) {
            Duration wait = fetchBackoff.recordFailure();
            metrics.gitFetch("failed");
            String message = "fetch from " + source.remote() + " failed: " + e.getMessage() + "; next attempt in "
                    + wait.toSeconds() + " s";
            fetchError = Optional.of(new Problem(message, now));
            LOG.atWarn().addKeyValue("remote", source.remote()).addKeyValue("failures", fetchBackoff.consecutiveFailures())
                    .addKeyValue("retryInSeconds", wait.toSeconds()).log(message);
            return Optional.of(message);
        }
    }

    // ---- the applied revision

    /** After a restart, the applied revision's desired state is read back from the cache, once it holds it. */
    private void loadAppliedState(Instant now) {
        if (lastApplied.isEmpty()) {
            appliedState = Optional.empty();
            return;
        }
        if (appliedState.isPresent() && appliedState.get().revision().equals(lastApplied.get().revision().hex())) {
            return;
        }
        LoadResult loaded = source.load(lastApplied.get().revision(), Clock.fixed(now, ZoneOffset.UTC));
        if (loaded.ok()) {
            appliedState = loaded.state();
        } else {
            appliedState = Optional.empty();
            LOG.atWarn().addKeyValue("revision", lastApplied.get().revision().hex())
                    .addKeyValue("errors", loaded.errors().size())
                    .log("the last applied revision cannot be read back; drift is not checked until a new revision applies");
        }
    }

    // ---- a new revision

    private sealed interface Verdict {
        record Ready(CommitId revision, DesiredState state, List<String> notes) implements Verdict {}

        record Blocked(CommitId revision, Outcome outcome, PendingState state, String message, List<String> details)
                implements Verdict {}
    }

    private Verdict evaluate(CommitId revision, Instant now) {
        Admission admission;
        try {
            admission = source.admit(lastApplied.map(LastApplied::revision), revision);
        } catch (GitSourceException e) {
            return new Verdict.Blocked(revision, Outcome.FAILED, PendingState.INVALID,
                    "cannot check the history of " + revision.abbreviated() + ": " + e.getMessage(), List.of());
        } catch (TrustedKeysException e) {
            return new Verdict.Blocked(revision, Outcome.REFUSED, PendingState.REFUSED,
                    "refusing " + revision.abbreviated() + ": the trusted keys cannot be read: " + e.getMessage(),
                    List.of());
        }
        if (admission instanceof Admission.SignaturesRefused refused) {
            return new Verdict.Blocked(revision, Outcome.REFUSED, PendingState.REFUSED, refused.message(),
                    refused.refusals().stream().map(r -> r.message()).toList());
        }
        if (admission instanceof Admission.HistoryRewriteDetected rewrite) {
            return new Verdict.Blocked(revision, Outcome.REFUSED, PendingState.REFUSED, rewrite.message(), List.of());
        }
        List<String> notes = new ArrayList<>();
        notes.add(admission.message());

        LoadResult loaded = source.load(revision, Clock.fixed(now, ZoneOffset.UTC));
        if (!loaded.ok()) {
            List<String> errors = loaded.errors().stream().map(Diagnostic::toString).toList();
            return new Verdict.Blocked(revision, Outcome.FAILED, PendingState.INVALID, "revision "
                    + revision.abbreviated() + " is invalid (" + errors.size() + " error" + (errors.size() == 1 ? "" : "s")
                    + ", first: " + errors.get(0) + "); the last applied revision stays in place", errors);
        }
        DesiredState state = loaded.state().orElseThrow();
        if (state.host(settings.host()).isEmpty()) {
            return new Verdict.Blocked(revision, Outcome.FAILED, PendingState.INVALID, "revision "
                    + revision.abbreviated() + " has no host '" + settings.host()
                    + "'; the last applied revision stays in place", List.of());
        }
        Optional<Approval> approval = readApproval(revision);
        approval.ifPresent(a -> notes.add("approved by " + a.by() + " at " + a.approvedAt()));
        switch (settings.autoApply()) {
            case ALL -> {
                return new Verdict.Ready(revision, state, notes);
            }
            case NONE -> {
                if (approval.isPresent()) {
                    return new Verdict.Ready(revision, state, notes);
                }
                return new Verdict.Blocked(revision, Outcome.AWAITING_APPROVAL, PendingState.AWAITING_APPROVAL,
                        "revision " + revision.abbreviated() + " waits for approval (--auto-apply=none): run qfence "
                        + "approve " + revision.hex(), List.of());
            }
            case NARROWING -> {
                LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
                IsolationDiff diff;
                try {
                    FlowSet before = appliedState.map(s -> isolation.flows(s, settings.host(), today))
                            .orElse(FlowSet.EMPTY);
                    FlowSet after = isolation.flows(state, settings.host(), today);
                    diff = IsolationDiff.of(appliedLabel(), before, revision.abbreviated(), after);
                } catch (InvalidInputException e) {
                    List<String> errors = e.diagnostics().stream().map(Diagnostic::toString).toList();
                    return new Verdict.Blocked(revision, Outcome.FAILED, PendingState.INVALID, "revision "
                            + revision.abbreviated() + " cannot be realized on " + settings.host() + ": "
                            + e.getMessage() + "; the last applied revision stays in place", errors);
                }
                List<String> gained = diff.gained().entries().stream().map(FlowEntry::toString).toList();
                if (!diff.widens()) {
                    notes.add(diff.narrows() ? "access narrows only (" + diff.lost().entries().size()
                            + " flows lost): applied without approval" : "access unchanged: applied without approval");
                    return new Verdict.Ready(revision, state, notes);
                }
                notes.add("access widens (" + gained.size() + " flow" + (gained.size() == 1 ? "" : "s") + " gained: "
                        + named(gained) + ")");
                if (approval.isPresent()) {
                    return new Verdict.Ready(revision, state, notes);
                }
                return new Verdict.Blocked(revision, Outcome.AWAITING_APPROVAL, PendingState.AWAITING_APPROVAL,
                        "revision " + revision.abbreviated() + " widens access (" + named(gained) + ") and waits for "
                        + "approval: run qfence approve " + revision.hex(), gained);
            }
            default -> throw new IllegalStateException("unknown auto-apply mode " + settings.autoApply());
        }
    }

    private String appliedLabel() {
        return lastApplied.map(l -> l.revision().abbreviated()).orElse("nothing applied");
    }

    private static String named(List<String> flows) {
        int more = flows.size() - MAX_FLOWS_NAMED;
        return String.join(", ", flows.subList(0, Math.min(flows.size(), MAX_FLOWS_NAMED)))
                + (more > 0 ? " and " + more + " more" : "");
    }

    private void block(Instant now, long startNanos, Trigger trigger, List<CycleRecord> records, Verdict.Blocked verdict) {
        String key = verdict.revision().hex() + "\n" + verdict.state() + "\n" + verdict.message();
        if (pending.isEmpty() || !pending.get().revision().equals(verdict.revision().hex())
                || pending.get().state() != verdict.state()) {
            pending = Optional.of(new Pending(verdict.revision().hex(), verdict.state(), verdict.message(), now));
        } else {
            pending = Optional.of(new Pending(verdict.revision().hex(), verdict.state(), verdict.message(),
                    pending.get().since()));
        }
        if (journaledVerdict.equals(Optional.of(key))) {
            return;
        }
        journaledVerdict = Optional.of(key);
        boolean isError = verdict.outcome() == Outcome.FAILED || verdict.outcome() == Outcome.REFUSED;
        List<String> errors = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (isError) {
            errors.add(verdict.message());
            errors.addAll(cap(verdict.details()));
            lastError = Optional.of(new Problem(verdict.message(), now));
            LOG.atWarn().addKeyValue("revision", verdict.revision().hex()).log(verdict.message());
        } else {
            notes.add(verdict.message());
            notes.addAll(cap(verdict.details()));
            LOG.atInfo().addKeyValue("revision", verdict.revision().hex()).log(verdict.message());
        }
        CycleOutcome outcome = new CycleOutcome(Optional.empty(), Optional.empty(), List.of(), List.of(), errors,
                Optional.empty(), Optional.empty());
        records.add(record(now, startNanos, trigger.label(), verdict.outcome(), Optional.of(verdict.revision().hex()),
                outcome, notes));
    }

    private CycleRecord applyRevision(Verdict.Ready ready, Instant now, long startNanos, Trigger trigger) {
        List<String> notes = new ArrayList<>(ready.notes());
        CycleOutcome outcome;
        try {
            outcome = runLocked(new CycleRequest(settings.host(), ready.state(), Mode.APPLY, now));
        } catch (LockHeldException e) {
            String message = "revision " + ready.revision().abbreviated() + " not applied: " + e.getMessage();
            pending = Optional.of(new Pending(ready.revision().hex(), PendingState.FAILED, message, now));
            lastError = Optional.of(new Problem(message, now));
            return record(now, startNanos, trigger.label(), Outcome.SKIPPED, Optional.of(ready.revision().hex()),
                    CycleOutcome.failed(message), notes);
        }
        observe(outcome, true);
        lastHostCheckAt = Optional.of(now);
        if (outcome.succeeded()) {
            LastApplied record = new LastApplied(ready.revision(), Optional.of(clock.instant()));
            try {
                record.write(settings.stateDir());
            } catch (IOException e) {
                // applied, but not recorded: the next cycle applies it again (idempotent) and retries the write
                outcome = withError(outcome, "applied, but cannot record the last applied revision: " + e.getMessage());
            }
            if (outcome.succeeded()) {
                lastApplied = Optional.of(record);
                appliedState = Optional.of(ready.state());
                applyBackoff.recordSuccess();
                pending = Optional.empty();
                journaledVerdict = Optional.empty();
                lastError = Optional.empty();
                lastHostRunFailed = false;
                metrics.revisionApplied(record.appliedAt().orElseThrow());
                nextHostCheckAt = now.plus(jittered(settings.driftInterval()));
                hostCheck = Optional.of(new DaemonStatus.HostCheck(now, ready.revision().hex(), true, outcome.drift(),
                        outcome.observation().map(HostObservation::guests).orElse(List.of())));
                LOG.atInfo().addKeyValue("revision", ready.revision().hex())
                        .addKeyValue("actions", outcome.actions().size()).log("revision applied");
                return record(now, startNanos, trigger.label(), outcome.changedHost() ? Outcome.APPLIED
                        : Outcome.NO_CHANGES, Optional.of(ready.revision().hex()), outcome, notes);
            }
        }
        Duration retry = applyBackoff.recordFailure();
        String message = "applying revision " + ready.revision().abbreviated() + " failed: "
                + outcome.errors().get(0) + "; retry in " + retry.toSeconds() + " s";
        pending = Optional.of(new Pending(ready.revision().hex(), PendingState.FAILED, message, now));
        journaledVerdict = Optional.empty();
        lastError = Optional.of(new Problem(message, now));
        lastHostRunFailed = true;
        LOG.atWarn().addKeyValue("revision", ready.revision().hex()).log(message);
        return record(now, startNanos, trigger.label(), Outcome.FAILED, Optional.of(ready.revision().hex()), outcome,
                notes);
    }

    // ---- the host, at the applied revision

    private CycleRecord checkHost(DesiredState state, Optional<Suspension> suspension, Instant now, long startNanos,
                                  String label, List<String> expired) {
        List<String> notes = new ArrayList<>(expired);
        Mode mode = suspension.isPresent() ? Mode.PLAN_ONLY : Mode.APPLY;
        suspension.ifPresent(s -> notes.add("suspended " + s.describe() + ": drift is reported, not healed"));
        CycleOutcome outcome;
        try {
            outcome = runLocked(new CycleRequest(settings.host(), state, mode, now));
        } catch (LockHeldException e) {
            // qfence apply is at work: look again at the next poll, not a whole drift interval later
            String message = "host check skipped: " + e.getMessage();
            LOG.atInfo().log(message);
            return record(now, startNanos, label, Outcome.SKIPPED, Optional.of(state.revision()),
                    CycleOutcome.failed(message), notes);
        }
        observe(outcome, mode == Mode.APPLY);
        lastHostCheckAt = Optional.of(now);
        nextHostCheckAt = now.plus(jittered(settings.driftInterval()));
        hostCheck = Optional.of(new DaemonStatus.HostCheck(now, state.revision(), mode == Mode.APPLY, outcome.drift(),
                outcome.observation().map(HostObservation::guests).orElse(List.of())));
        Outcome result;
        if (!outcome.succeeded()) {
            result = Outcome.FAILED;
            lastError = Optional.of(new Problem(outcome.errors().get(0), now));
            lastHostRunFailed = true;
            LOG.atWarn().addKeyValue("revision", state.revision()).log("host check failed: " + outcome.errors().get(0));
        } else {
            lastHostRunFailed = false;
            if (pending.isEmpty()) {
                lastError = Optional.empty();
            }
            result = mode == Mode.PLAN_ONLY ? Outcome.SKIPPED
                    : outcome.changedHost() ? Outcome.APPLIED : Outcome.NO_CHANGES;
            if (!outcome.drift().isEmpty()) {
                LOG.atInfo().addKeyValue("revision", state.revision()).addKeyValue("drift", outcome.drift().size())
                        .addKeyValue("healed", mode == Mode.APPLY).log("drift found");
            }
        }
        return record(now, startNanos, label, result, Optional.of(state.revision()), outcome, notes);
    }

    /** Runs the cycle under the state lock, so that {@code qfence apply} and the daemon never change the host together. */
    private CycleOutcome runLocked(CycleRequest request) {
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

    private CycleOutcome runHostCycle(CycleRequest request) {
        try {
            return hostCycle.run(request);
        } catch (LockHeldException e) {
            // a cycle that takes the state lock itself (the engine does) found it held: the same as finding it here
            throw e;
        } catch (RuntimeException e) {
            LOG.atWarn().setCause(e).log("the cycle failed without a report");
            return CycleOutcome.failed(io.qfence.model.errors.IoMessages.describe(e));
        }
    }

    /** Feeds what the cycle saw and did into the metrics. */
    private void observe(CycleOutcome outcome, boolean applied) {
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

    // ---- expiry

    /** The next instant an exception of the applied revision stops applying: the day after its {@code expires}. */
    public synchronized Optional<Instant> nextExpiry() {
        if (appliedState.isEmpty()) {
            return Optional.empty();
        }
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        return exceptions(appliedState.get()).stream()
                .map(e -> e.exception().expires())
                .flatMap(Optional::stream)
                .filter(last -> !today.isAfter(last))
                .map(Reconciler::endOf)
                .min(Instant::compareTo);
    }

    /** Exceptions that stopped applying since the host was last checked: what an expiry-driven cycle removes. */
    private List<String> expiredSinceLastCheck(Instant now) {
        if (appliedState.isEmpty() || lastHostCheckAt.isEmpty()) {
            return List.of();
        }
        Instant since = lastHostCheckAt.get();
        List<String> notes = new ArrayList<>();
        for (PlacedException placed : exceptions(appliedState.get())) {
            Optional<LocalDate> last = placed.exception().expires();
            if (last.isPresent()) {
                Instant end = endOf(last.get());
                if (end.isAfter(since) && !end.isAfter(now)) {
                    FirewallException e = placed.exception();
                    notes.add("exception of group " + placed.group() + " expired at the end of " + last.get() + ": "
                            + e.from() + " -> " + e.to() + " " + e.protocol().name().toLowerCase(Locale.ROOT)
                            + (e.ports().isEmpty() ? "" : "/" + String.join(",", e.ports().stream()
                            .map(Object::toString).toList())) + e.reason().map(r -> " (" + r + ")").orElse(""));
                }
            }
        }
        return notes;
    }

    private record PlacedException(String group, FirewallException exception) {}

    private static List<PlacedException> exceptions(DesiredState state) {
        List<PlacedException> all = new ArrayList<>();
        for (Group group : state.groups()) {
            for (FirewallException e : group.allow()) {
                all.add(new PlacedException(group.name(), e));
            }
        }
        return all;
    }

    /** An exception applies through its {@code expires} day (UTC): it ends at the next midnight. */
    private static Instant endOf(LocalDate lastDay) {
        return lastDay.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    }

    // ---- records, status, helpers

    private CycleRecord record(Instant now, long startNanos, String trigger, Outcome outcome, Optional<String> revision,
                               CycleOutcome cycle, List<String> notes) {
        long millis = Math.max(0, (System.nanoTime() - startNanos) / 1_000_000);
        CycleRecord record = new CycleRecord(now, millis, trigger, outcome, revision, cycle.planDigest(),
                cycle.summary(), cycle.actions(), cycle.drift(), cap(cycle.errors()), notes);
        try {
            journal.append(record);
        } catch (IOException e) {
            LOG.atError().addKeyValue("journal", journal.file().toString()).setCause(e)
                    .log("cannot append to the journal");
        }
        metrics.cycleFinished(outcome);
        lastCycle = Optional.of(new DaemonStatus.LastCycle(now, trigger, outcome.name().toLowerCase(Locale.ROOT)));
        return record;
    }

    private void finish(Instant now, Trigger trigger, List<CycleRecord> records) {
        if (records.isEmpty()) {
            LOG.atDebug().addKeyValue("trigger", trigger.label()).log("nothing to do");
        }
        metrics.suspended(readSuspension().isPresent());
        metrics.awaitingApproval(pending.filter(p -> p.state() == PendingState.AWAITING_APPROVAL).isPresent());
        try {
            status(clock.instant()).write(settings.stateDir());
        } catch (IOException e) {
            LOG.atWarn().setCause(e).log("cannot write " + DaemonStatus.FILE_NAME);
        }
    }

    /** The daemon's status as {@code qfence status} reads it. */
    public synchronized DaemonStatus status(Instant now) {
        return new DaemonStatus(ProcessHandle.current().pid(), startedAt, settings.host(), source.remote(),
                source.branch(), settings.autoApply().name().toLowerCase(Locale.ROOT), settings.verifySignatures(), now,
                head.map(h -> new DaemonStatus.Head(h.hex(), headFetchedAt.orElse(now))), fetchError, pending,
                lastCycle, lastError, hostCheck,
                Optional.of(fetchBackoff.nextAttemptAt().filter(at -> at.isAfter(nextPollAt)).orElse(nextPollAt)),
                appliedState.isPresent() ? Optional.of(nextHostCheckAt) : Optional.empty(), nextExpiry());
    }

    private Optional<Suspension> readSuspension() {
        try {
            return Suspension.read(settings.stateDir());
        } catch (IOException e) {
            // cannot tell: leave the host alone
            return Optional.of(new Suspension(clock.instant(), "unknown", Optional.of("cannot read the suspension file: "
                    + e.getMessage())));
        }
    }

    private Optional<Approval> readApproval(CommitId revision) {
        try {
            return Approval.read(settings.stateDir(), revision);
        } catch (IOException e) {
            LOG.atWarn().addKeyValue("revision", revision.hex()).log("unreadable approval: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** {@code interval} plus up to {@code jitter · interval}, drawn anew for every wait. */
    Duration jittered(Duration interval) {
        long extra = (long) (random.nextDouble() * settings.jitter() * interval.toNanos());
        return interval.plusNanos(extra);
    }

    private static List<String> cap(List<String> messages) {
        if (messages.size() <= MAX_ERRORS_RECORDED) {
            return messages;
        }
        List<String> capped = new ArrayList<>(messages.subList(0, MAX_ERRORS_RECORDED));
        capped.add("... and " + (messages.size() - MAX_ERRORS_RECORDED) + " more");
        return capped;
    }

    private static CycleOutcome withError(CycleOutcome outcome, String error) {
        List<String> errors = new ArrayList<>(outcome.errors());
        errors.add(error);
        return new CycleOutcome(outcome.planDigest(), outcome.summary(), outcome.actions(), outcome.drift(), errors,
                outcome.applyDuration(), outcome.observation());
    }
}
