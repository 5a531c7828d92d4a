package io.qfence.daemon;

import io.qfence.daemon.CycleDecision.ApplyRevision;
import io.qfence.daemon.CycleDecision.CheckHost;
import io.qfence.daemon.CycleDecision.Fetch;
import io.qfence.daemon.CycleDecision.FetchStep;
import io.qfence.daemon.CycleDecision.HoldRevision;
import io.qfence.daemon.CycleDecision.NoNewRevision;
import io.qfence.daemon.CycleDecision.SkipFetch;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.Pending;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.control.DaemonStatus.Problem;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.daemon.notify.Announcer;
import io.qfence.model.errors.LockHeldException;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's loop body, one cycle at a time; the scheduler only says when. It gathers the facts, lets the pure
 * {@link CycleDecider} decide (a closed set of {@link CycleDecision}s, each with its reason) and hands each decision to
 * a small executor: {@link RevisionFetcher} (Git), {@link RevisionGrader} (admission, validation, grading),
 * {@link RevisionSteps} and {@link HostCheckStep} (the engine, under the state lock), {@link CycleJournal} (journal
 * and cycle metrics), {@link ControlFiles} (suspension, approvals); what it remembers between cycles is
 * {@link DaemonMemory}. A cycle:
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

    /** Takes the state lock around a cycle that touches the host ({@code apply.StateLock} in production). */
    @FunctionalInterface
    public interface HostLock {
        /** @throws LockHeldException when {@code qfence apply} (or another holder) has it */
        AutoCloseable acquire() throws IOException;

        /** For a cycle that takes the state lock itself (the engine's {@code apply} does). */
        HostLock BY_THE_CYCLE = () -> () -> { };
    }

    /** What a call to {@link #cycle} did: the journal records it wrote, none for an idle poll. */
    public record CycleResult(List<CycleRecord> records) {
        public CycleResult {
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
    private final QfenceMetrics metrics;
    private final Clock clock;
    private final LongSupplier nanoClock;
    private final Instant startedAt;
    private final DaemonMemory memory;
    private final ControlFiles control;
    private final RevisionFetcher fetcher;
    private final RevisionGrader grader;
    private final CycleJournal journal;
    private final RevisionSteps revisions;
    private final HostCheckStep hostCheck;

    public Reconciler(ReconcileSettings settings, RevisionSource source, ReconcileCycle hostCycle,
                      IsolationView isolation, HostLock hostLock, Journal journal, QfenceMetrics metrics, Clock clock,
                      LongSupplier nanoClock, RandomGenerator random) throws IOException {
        this(settings, source, hostCycle, isolation, hostLock, journal, metrics, clock, nanoClock, random,
                Announcer.NONE);
    }

    /**
     * @param announcer where commit statuses and notifications go (the forge and the webhook; {@link Announcer#NONE}
     *                  for neither); it sends them off the cycle, which never waits for it
     */
    public Reconciler(ReconcileSettings settings, RevisionSource source, ReconcileCycle hostCycle,
                      IsolationView isolation, HostLock hostLock, Journal journal, QfenceMetrics metrics, Clock clock,
                      LongSupplier nanoClock, RandomGenerator random, Announcer announcer) throws IOException {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.source = Objects.requireNonNull(source, "source");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(random, "random");
        Jitter jitter = new Jitter(random, settings.jitter());
        Backoff fetchBackoff = new Backoff(settings.retryBase(), settings.retryCap(), clock, random);
        Backoff applyBackoff = new Backoff(settings.retryBase(), settings.retryCap(), clock, random);
        this.startedAt = clock.instant();
        this.fetcher = new RevisionFetcher(source, metrics, fetchBackoff, jitter, settings.interval(), startedAt);
        this.memory = new DaemonMemory(LastApplied.read(settings.stateDir()), startedAt, applyBackoff);
        this.control = new ControlFiles(settings.stateDir(), clock);
        this.grader = new RevisionGrader(settings, source, isolation, control);
        this.journal = new CycleJournal(Objects.requireNonNull(journal, "journal"), metrics, nanoClock);
        HostRunner host = new HostRunner(hostCycle, hostLock, metrics);
        CycleAnnouncements announce = new CycleAnnouncements(settings.host(), announcer);
        this.revisions = new RevisionSteps(settings, memory, host, this.journal, metrics, jitter, clock, announce);
        this.hostCheck = new HostCheckStep(settings, memory, host, this.journal, jitter, metrics, announce);
        memory.lastApplied().flatMap(LastApplied::appliedAt).ifPresent(metrics::revisionApplied);
    }

    /**
     * Runs one cycle: gathers the facts (fetch, the applied state, the new revision's grade), lets {@link CycleDecider}
     * decide, and hands each decision to its executor. Never throws for what a cycle can meet (remote down, bad
     * revision, a port that fails, a failed apply: the closed vocabulary of failures).
     *
     * @throws RuntimeException (or an {@link Error}) anything else, a bug: recorded as this cycle's failure (a journal
     *                          record, {@code status.json}'s last error), then thrown as it is, for the daemon to stop on
     */
    public synchronized CycleResult cycle(Trigger trigger) {
        Instant now = clock.instant();
        long startNanos = nanoClock.getAsLong();
        List<CycleRecord> records = new ArrayList<>();
        try {
            decideAndAct(trigger, now, startNanos, records);
        } catch (RuntimeException | Error bug) {
            recordInternalError(trigger, now, startNanos, records, bug);
            throw bug;
        }
        finish(trigger, records);
        return new CycleResult(records);
    }

    private void decideAndAct(Trigger trigger, Instant now, long startNanos, List<CycleRecord> records) {
        Optional<Suspension> suspension = control.suspension();

        FetchStep fetch = CycleDecider.fetch(trigger, now, fetcher.nextPollAt(), fetcher.retryAt());
        if (fetch instanceof Fetch) {
            fetcher.fetch(now).ifPresent(error -> records.add(journal.record(now, startNanos, trigger.label(),
                    Outcome.FAILED, fetcher.head().map(CommitId::hex), CycleOutcome.failed(error), List.of())));
        } else if (fetch instanceof SkipFetch skip && skip.loggedAsSkipped()) {
            fetcher.skippedWhileBackingOff(trigger);
        }
        memory.readAppliedStateBack(source, now);

        Optional<CommitId> head = fetcher.head();
        Optional<CommitId> applied = memory.lastApplied().map(LastApplied::revision);
        Optional<Verdict> verdict = CycleDecider.hasNewRevision(head, applied)
                ? Optional.of(grader.grade(head.get(), applied, memory.appliedState(), now)) : Optional.empty();
        List<String> expired = memory.appliedState().isPresent() && memory.lastHostCheckAt().isPresent()
                ? ExceptionExpiry.expiredBetween(memory.appliedState().get(), memory.lastHostCheckAt().get(), now)
                : List.of();
        CycleDecider.Decisions decided = CycleDecider.decide(new CycleFacts(trigger, now, suspension, head, applied,
                verdict, memory.applyBackoff().nextAttemptAt(), memory.appliedState().isPresent(), memory.nextHostCheckAt(),
                expired, settings.drift()));

        if (decided.revision() instanceof NoNewRevision) {
            memory.forgetPending();
        } else if (decided.revision() instanceof ApplyRevision apply) {
            records.add(revisions.apply(apply.ready(), now, startNanos, trigger));
        } else if (decided.revision() instanceof HoldRevision hold) {
            revisions.hold(hold.verdict(), now, startNanos, trigger).ifPresent(records::add);
        }
        // AwaitApplyRetry: the last apply of this revision failed and its retry waits; nothing to do until then
        if (decided.host() instanceof CheckHost check) {
            records.add(hostCheck.check(memory.appliedState().orElseThrow(), check, suspension, now, startNanos));
        }
    }

    /** A bug is still the cycle's record (journal, metrics, {@code status.json}); a failure to record joins the bug. */
    private void recordInternalError(Trigger trigger, Instant now, long startNanos, List<CycleRecord> records, Throwable bug) {
        String message = "internal error (a bug; the daemon stops): " + bug;
        try {
            LOG.atError().setCause(bug).log(message);
            memory.errorSeen(new Problem(message, now));
            records.add(journal.record(now, startNanos, trigger.label(), Outcome.FAILED, fetcher.head().map(CommitId::hex),
                    CycleOutcome.failed(message), List.of()));
            finish(trigger, records);
        } catch (RuntimeException | Error e) {
            bug.addSuppressed(e);
        }
    }

    /** When the scheduler should run the next cycle: the earliest of the poll, the host check and an expiry. */
    public synchronized Instant nextWakeUp() {
        return CycleDecider.nextWakeUp(fetcher.nextFetchAt(), nextHostCheckAt(), nextExpiry(),
                memory.pending().filter(p -> p.state() == PendingState.FAILED)
                        .flatMap(p -> memory.applyBackoff().nextAttemptAt()));
    }

    /** Empty when the daemon does its job; otherwise why not, for {@code /readyz}. */
    public synchronized Optional<String> notReadyBecause() {
        if (memory.lastApplied().isEmpty()) {
            return Optional.of("no revision applied yet");
        }
        Optional<Suspension> suspension = control.suspension();
        if (suspension.isPresent()) {
            return Optional.of("suspended " + suspension.get().describe());
        }
        if (memory.lastHostRunFailed()) {
            return Optional.of("the last cycle failed: "
                    + memory.lastError().map(Problem::message).orElse("unknown error"));
        }
        return Optional.empty();
    }

    public synchronized Optional<LastApplied> lastApplied() {
        return memory.lastApplied();
    }

    public synchronized Optional<Pending> pending() {
        return memory.pending();
    }

    public synchronized int consecutiveFetchFailures() {
        return fetcher.consecutiveFailures();
    }

    /** The next instant an exception of the applied revision stops applying: the day after its {@code expires}. */
    public synchronized Optional<Instant> nextExpiry() {
        return memory.appliedState().flatMap(state -> ExceptionExpiry.next(state, clock.instant()));
    }

    /** The daemon's status as {@code qfence status} reads it. */
    public synchronized DaemonStatus status(Instant now) {
        return new DaemonStatus(ProcessHandle.current().pid(), startedAt, settings.host(), source.remote(),
                source.branch(), settings.autoApply().name().toLowerCase(Locale.ROOT), settings.verifySignatures(), now,
                fetcher.head().map(h -> new DaemonStatus.Head(h.hex(), fetcher.headFetchedAt().orElse(now))),
                fetcher.error(), memory.pending(), journal.lastCycle(), memory.lastError(), memory.hostCheck(),
                Optional.of(fetcher.nextFetchAt()), nextHostCheckAt(), nextExpiry(), settings.drift().name().toLowerCase(Locale.ROOT));
    }

    /** The next host check, when the applied revision's state is known (there is nothing to check it against else). */
    private Optional<Instant> nextHostCheckAt() {
        return memory.appliedState().isPresent() ? Optional.of(memory.nextHostCheckAt()) : Optional.empty();
    }

    /** After every cycle: the gauges that follow the control files, and {@code status.json}. */
    private void finish(Trigger trigger, List<CycleRecord> records) {
        if (records.isEmpty()) {
            LOG.atDebug().addKeyValue("trigger", trigger.label()).log("nothing to do");
        }
        metrics.suspended(control.suspension().isPresent());
        metrics.awaitingApproval(memory.pending().filter(p -> p.state() == PendingState.AWAITING_APPROVAL).isPresent());
        metrics.headApplied(fetcher.head().isPresent()
                && fetcher.head().equals(memory.lastApplied().map(LastApplied::revision)));
        Instant now = clock.instant();
        metrics.exceptionsObserved(memory.appliedState().map(state -> ExceptionExpiry.upcoming(state, now).stream()
                .map(e -> new QfenceMetrics.ExceptionEnd(e.group(), e.flow(), e.end())).toList()).orElse(List.of()));
        try {
            status(clock.instant()).write(settings.stateDir());
        } catch (IOException e) {
            LOG.atWarn().setCause(e).log("cannot write " + DaemonStatus.FILE_NAME);
        }
    }
}
