package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.daemon.CycleDecision.ApplyRevision;
import io.qfence.daemon.CycleDecision.AwaitApplyRetry;
import io.qfence.daemon.CycleDecision.CheckHost;
import io.qfence.daemon.CycleDecision.DriftHandling;
import io.qfence.daemon.CycleDecision.Fetch;
import io.qfence.daemon.CycleDecision.FetchStep;
import io.qfence.daemon.CycleDecision.HoldRevision;
import io.qfence.daemon.CycleDecision.LeaveHost;
import io.qfence.daemon.CycleDecision.NoNewRevision;
import io.qfence.daemon.CycleDecision.SkipFetch;
import io.qfence.daemon.ConvergeRequest.Mode;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.model.desired.DesiredState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The daemon's decisions as properties over every combination of trigger, suspension, head, applied revision,
 * verdict, retry and drift timing: the safety rules of DESIGN §15 hold whatever the daemon recorded and observed.
 */
class CycleDeciderPropertiesTest {

    static final Instant NOW = Instant.parse("2026-06-01T10:00:00Z");
    static final List<CommitId> COMMITS = List.of(
            CommitId.of("1111111111111111111111111111111111111111"),
            CommitId.of("2222222222222222222222222222222222222222"),
            CommitId.of("3333333333333333333333333333333333333333"));
    static final Suspension SUSPENDED = new Suspension(NOW.minusSeconds(60), "ops", Optional.of("maintenance"));

    // ---- what is fetched

    @Property
    void theTimerFetchesOnlyWhenThePollIsDueAndNoTriggerFetchesDuringTheBackOff(
            @ForAll Trigger trigger, @ForAll @IntRange(min = -3, max = 3) int pollOffset,
            @ForAll("offsets") Optional<Integer> retryOffset) {
        Instant nextPollAt = NOW.plusSeconds(pollOffset);
        Optional<Instant> retryAt = retryOffset.map(NOW::plusSeconds);

        FetchStep step = CycleDecider.fetch(trigger, NOW, nextPollAt, retryAt);

        boolean pollDue = trigger != Trigger.SCHEDULE || !NOW.isBefore(nextPollAt);
        boolean backingOff = retryAt.isPresent() && NOW.isBefore(retryAt.get());
        assertThat(step instanceof Fetch).as(step.toString()).isEqualTo(pollDue && !backingOff);
        if (step instanceof SkipFetch skip) {
            assertThat(skip.loggedAsSkipped()).as("only a due poll held back by the back-off is logged")
                    .isEqualTo(pollDue && backingOff);
        }
        assertThat(step.reason()).isNotBlank();
    }

    // ---- what is done with a new revision

    @Property
    void nothingIsAppliedWhileSuspended(@ForAll("facts") CycleFacts facts) {
        var decided = CycleDecider.decide(facts);

        if (facts.suspension().isPresent()) {
            assertThat(decided.revision()).isNotInstanceOf(ApplyRevision.class);
            assertThat(decided.host()).as("a suspended host check only reports")
                    .matches(h -> !(h instanceof CheckHost c) || c.mode() == Mode.PLAN_ONLY);
        }
    }

    @Property
    void aFailedApplyIsNotRetriedBeforeItsBackOffEnds(@ForAll("facts") CycleFacts facts) {
        var decided = CycleDecider.decide(facts);

        if (decided.revision() instanceof ApplyRevision) {
            facts.applyRetryAt().ifPresent(at -> assertThat(NOW).isAfterOrEqualTo(at));
        }
        if (decided.revision() instanceof AwaitApplyRetry wait) {
            assertThat(wait.retryAt()).isAfter(NOW);
        }
    }

    @Property
    void aReadyRevisionIsAppliedExactlyWhenNotSuspendedAndNoRetryWaits(@ForAll("facts") CycleFacts facts) {
        var decided = CycleDecider.decide(facts);

        boolean ready = facts.verdict().filter(Verdict.Ready.class::isInstance).isPresent();
        boolean retryWaits = facts.applyRetryAt().filter(NOW::isBefore).isPresent();
        assertThat(decided.revision() instanceof ApplyRevision)
                .isEqualTo(ready && facts.suspension().isEmpty() && !retryWaits);
        if (decided.revision() instanceof ApplyRevision apply) {
            assertThat(apply.ready()).isEqualTo(facts.verdict().get());
        }
    }

    @Property
    void aBlockedRevisionIsHeldWithItsVerdictAndASuspendedOneAsSuspended(@ForAll("facts") CycleFacts facts) {
        var decided = CycleDecider.decide(facts);

        if (facts.verdict().isEmpty()) {
            assertThat(decided.revision()).isInstanceOf(NoNewRevision.class);
        } else if (facts.verdict().get() instanceof Verdict.Blocked blocked) {
            assertThat(decided.revision()).isEqualTo(new HoldRevision(blocked, decided.revision().reason()));
        } else if (facts.suspension().isPresent()) {
            assertThat(decided.revision()).isInstanceOfSatisfying(HoldRevision.class, hold -> {
                assertThat(hold.verdict().state()).isEqualTo(PendingState.SUSPENDED);
                assertThat(hold.verdict().outcome()).isEqualTo(Outcome.SKIPPED);
                assertThat(hold.verdict().revision()).isEqualTo(facts.head().orElseThrow());
            });
        }
    }

    // ---- whether the host is checked

    @Property
    void theHostIsNotHealedTowardsTheOldRevisionWhileTheNewOneIsAppliedOrRetried(@ForAll("facts") CycleFacts facts) {
        var decided = CycleDecider.decide(facts);

        if (decided.revision() instanceof ApplyRevision || decided.revision() instanceof AwaitApplyRetry) {
            assertThat(decided.host()).isInstanceOf(LeaveHost.class);
        }
    }

    @Property
    void theHostIsCheckedExactlyWhenDueAndItsStateIsKnown(@ForAll("facts") CycleFacts facts) {
        var decided = CycleDecider.decide(facts);

        boolean newRevisionOwnsTheHost = decided.revision() instanceof ApplyRevision
                || decided.revision() instanceof AwaitApplyRetry;
        boolean due = facts.trigger().checksHost() || !NOW.isBefore(facts.nextHostCheckAt())
                || !facts.expired().isEmpty();
        assertThat(decided.host() instanceof CheckHost)
                .isEqualTo(!newRevisionOwnsTheHost && due && facts.appliedStateKnown());
        if (decided.host() instanceof CheckHost check) {
            boolean reportOnly = facts.suspension().isPresent()
                    || facts.drift() == DriftMode.REPORT && facts.expired().isEmpty();
            assertThat(check.mode()).isEqualTo(reportOnly ? Mode.PLAN_ONLY : Mode.APPLY);
            assertThat(check.expired()).isEqualTo(facts.expired());
            assertThat(check.label()).isEqualTo(facts.trigger() != Trigger.SCHEDULE ? facts.trigger().label()
                    : facts.expired().isEmpty() ? "drift" : "expiry");
        }
    }

    @Property
    void withDriftReportAHostCheckChangesTheHostOnlyToApplyAnExpiry(@ForAll("facts") CycleFacts facts) {
        var decided = CycleDecider.decide(facts);

        if (facts.drift() == DriftMode.REPORT && decided.host() instanceof CheckHost check) {
            if (facts.suspension().isPresent()) {
                assertThat(check.handling()).isEqualTo(DriftHandling.REPORT_WHILE_SUSPENDED);
            } else if (facts.expired().isEmpty()) {
                assertThat(check.handling()).as("drift is reported, not healed").isEqualTo(DriftHandling.REPORT_AS_CONFIGURED);
                assertThat(check.reason()).endsWith("; --drift=report: report only");
            } else {
                assertThat(check.handling()).as("an expired exception narrows access: it is applied in either mode")
                        .isEqualTo(DriftHandling.HEAL);
                assertThat(check.reason()).endsWith("; the expiry is applied even with --drift=report");
            }
        }
    }

    @Property
    void theDriftModeChangesNothingButWhatAHostCheckDoesWithDrift(@ForAll("facts") CycleFacts facts) {
        CycleFacts healing = new CycleFacts(facts.trigger(), facts.now(), facts.suspension(), facts.head(),
                facts.applied(), facts.verdict(), facts.applyRetryAt(), facts.appliedStateKnown(),
                facts.nextHostCheckAt(), facts.expired(), DriftMode.HEAL);
        CycleFacts reporting = new CycleFacts(facts.trigger(), facts.now(), facts.suspension(), facts.head(),
                facts.applied(), facts.verdict(), facts.applyRetryAt(), facts.appliedStateKnown(),
                facts.nextHostCheckAt(), facts.expired(), DriftMode.REPORT);

        var heal = CycleDecider.decide(healing);
        var report = CycleDecider.decide(reporting);

        assertThat(report.revision()).as("a new revision is applied, held or retried alike").isEqualTo(heal.revision());
        assertThat(report.host().getClass()).as("the host is checked at the same times").isEqualTo(heal.host().getClass());
        if (heal.host() instanceof CheckHost h && report.host() instanceof CheckHost r) {
            assertThat(r.label()).isEqualTo(h.label());
            assertThat(r.expired()).isEqualTo(h.expired());
        }
    }

    @Property
    void everyDecisionHasAReasonAndTheSameFactsGiveTheSameDecisions(@ForAll("facts") CycleFacts facts) {
        var decided = CycleDecider.decide(facts);

        assertThat(decided.revision().reason()).isNotBlank();
        assertThat(decided.host().reason()).isNotBlank();
        assertThat(CycleDecider.decide(facts)).isEqualTo(decided);
    }

    // ---- when the next cycle runs

    @Property
    void theNextWakeUpIsTheEarliestOfWhatIsKnownAndNeverLaterThanTheNextFetch(
            @ForAll @IntRange(min = -3, max = 3) int fetchOffset, @ForAll("offsets") Optional<Integer> hostCheckOffset,
            @ForAll("offsets") Optional<Integer> expiryOffset, @ForAll("offsets") Optional<Integer> retryOffset) {
        Instant nextFetchAt = NOW.plusSeconds(fetchOffset);
        List<Optional<Instant>> others = List.of(hostCheckOffset.map(NOW::plusSeconds), expiryOffset.map(NOW::plusSeconds),
                retryOffset.map(NOW::plusSeconds));

        Instant next = CycleDecider.nextWakeUp(nextFetchAt, others.get(0), others.get(1), others.get(2));

        assertThat(next).isBeforeOrEqualTo(nextFetchAt);
        others.forEach(other -> other.ifPresent(at -> assertThat(next).isBeforeOrEqualTo(at)));
        assertThat(next.equals(nextFetchAt) || others.stream().flatMap(Optional::stream).anyMatch(next::equals))
                .as("it is one of them").isTrue();
    }

    @Example
    void factsRefuseAVerdictAboutAnythingButANewHead() {
        Verdict ready = new Verdict.Ready(COMMITS.get(0), state(COMMITS.get(0)), List.of());

        assertThatThrownBy(() -> facts(Optional.of(COMMITS.get(0)), Optional.of(COMMITS.get(0)), Optional.of(ready)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a verdict is known exactly when the head is a new revision");
        assertThatThrownBy(() -> facts(Optional.of(COMMITS.get(1)), Optional.of(COMMITS.get(0)), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a verdict is known exactly when the head is a new revision");
        assertThatThrownBy(() -> facts(Optional.of(COMMITS.get(1)), Optional.empty(), Optional.of(ready)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the verdict is about 1111111111111111111111111111111111111111, not the head "
                        + "2222222222222222222222222222222222222222");
    }

    private static CycleFacts facts(Optional<CommitId> head, Optional<CommitId> applied, Optional<Verdict> verdict) {
        return new CycleFacts(Trigger.SCHEDULE, NOW, Optional.empty(), head, applied, verdict, Optional.empty(), true,
                NOW, List.of(), DriftMode.HEAL);
    }

    // ---- generators

    @Provide
    Arbitrary<Optional<Integer>> offsets() {
        return Arbitraries.integers().between(-3, 3).optional(0.6);
    }

    /** A verdict for {@code head}: ready, or blocked in one of the ways a grade blocks. */
    Arbitrary<Verdict> verdicts(CommitId head) {
        Arbitrary<Verdict> ready = Arbitraries.just(new Verdict.Ready(head, state(head), List.of("admitted")));
        Arbitrary<Verdict> blocked = Arbitraries.of(
                new Verdict.Blocked(head, Outcome.REFUSED, PendingState.REFUSED, "refused", List.of("bad signature")),
                new Verdict.Blocked(head, Outcome.FAILED, PendingState.INVALID, "invalid", List.of("a.yaml:1:1: x")),
                new Verdict.Blocked(head, Outcome.AWAITING_APPROVAL, PendingState.AWAITING_APPROVAL, "waits",
                        List.of()));
        return Arbitraries.oneOf(ready, blocked);
    }

    @Provide
    Arbitrary<CycleFacts> facts() {
        Arbitrary<Optional<CommitId>> commits = Arbitraries.of(COMMITS).optional(0.8);
        Arbitrary<Optional<Suspension>> suspension = Arbitraries.just(SUSPENDED).optional(0.3);
        Arbitrary<List<String>> expired = Arbitraries.of("exception of group a expired at the end of 2026-05-31")
                .list().ofMaxSize(2);
        return Combinators.combine(commits, commits).as(Heads::new).flatMap(heads -> {
            Arbitrary<Optional<Verdict>> verdict = CycleDecider.hasNewRevision(heads.head(), heads.applied())
                    ? verdicts(heads.head().get()).map(Optional::of) : Arbitraries.just(Optional.empty());
            return Combinators.combine(Arbitraries.of(Trigger.class), suspension, verdict, offsets(),
                            Arbitraries.of(true, false), Arbitraries.integers().between(-3, 3), expired,
                            Arbitraries.of(DriftMode.class))
                    .as((trigger, suspended, grade, retry, stateKnown, checkOffset, gone, drift) -> new CycleFacts(
                            trigger, NOW, suspended, heads.head(), heads.applied(), grade, retry.map(NOW::plusSeconds),
                            stateKnown, NOW.plusSeconds(checkOffset), gone, drift));
        });
    }

    record Heads(Optional<CommitId> head, Optional<CommitId> applied) {}

    private static DesiredState state(CommitId revision) {
        return new DesiredState(revision.hex(), List.of(), List.of());
    }
}
