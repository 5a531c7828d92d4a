package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.qfence.apply.StateLock;
import io.qfence.daemon.ConvergeRequest.Mode;
import io.qfence.daemon.control.Approval;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.control.DaemonStatus.PendingState;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.journal.LastApplied;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.LockHeldException;
import io.qfence.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's decisions, cycle by cycle, against real Git repositories (made with the git CLI) and a fake host. The
 * clock is stepped by hand and the random source is fixed, so nothing here sleeps or depends on timing.
 */
class ReconcilerTest {

    static final Instant START = Instant.parse("2026-06-01T10:00:00Z");
    static final Duration INTERVAL = Duration.ofSeconds(60);
    static final Duration DRIFT_INTERVAL = Duration.ofMinutes(5);
    /** nextDouble() = 0.5: every jittered wait is its interval plus half the jitter (5 %). */
    static final RandomGenerator HALF = () -> Long.MIN_VALUE;

    @TempDir
    Path tmp;

    MutableClock clock;
    DesiredRepo repo;
    Path stateDir;
    FakeCycle host;
    QfenceMetrics metrics;
    final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        clock = new MutableClock(START);
        repo = DesiredRepo.create(tmp.resolve("origin"));
        stateDir = Files.createDirectories(tmp.resolve("state"));
        host = new FakeCycle();
        metrics = QfenceMetrics.create();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    Reconciler reconciler(AutoApply autoApply) throws Exception {
        return reconciler(autoApply, new RemoteSpec.LocalRepository(repo.git.dir()), false);
    }

    Reconciler reconciler(AutoApply autoApply, RemoteSpec remote, boolean allowRewrite) throws Exception {
        GitMirror mirror = GitMirror.open(stateDir, remote, System::nanoTime);
        Journal journal = Journal.open(stateDir);
        open.add(mirror);
        open.add(journal);
        ReconcileSettings settings = new ReconcileSettings("hv1", stateDir, INTERVAL, DRIFT_INTERVAL, 0.1,
                Duration.ofSeconds(10), Duration.ofMinutes(5), autoApply, false);
        return new Reconciler(settings, new GitRevisionSource(mirror, "main", DesiredRepo.DIR, Duration.ofSeconds(20),
                Optional.empty(), allowRewrite), host, IsolationView.realized(),
                () -> StateLock.acquire(stateDir, "qfence reconcile"), journal, metrics, clock, clock::nanos, HALF);
    }

    @Test
    void theFirstCycleAppliesTheHeadAndRecordsItAtomically() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);

        Reconciler.CycleResult result = reconciler.cycle(Trigger.STARTUP);

        assertThat(host.requests()).singleElement().satisfies(r -> {
            assertThat(r.mode()).isEqualTo(Mode.APPLY);
            assertThat(r.state().revision()).isEqualTo(repo.head());
            assertThat(r.host()).isEqualTo("hv1");
            assertThat(r.now()).isEqualTo(START);
        });
        assertThat(result.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.APPLIED);
            assertThat(r.trigger()).isEqualTo("startup");
            assertThat(r.revision()).contains(repo.head());
            assertThat(r.actions()).isNotEmpty();
        });
        assertThat(LastApplied.read(stateDir)).hasValueSatisfying(l -> {
            assertThat(l.revision().hex()).isEqualTo(repo.head());
            assertThat(l.appliedAt()).contains(START);
        });
        assertThat(Journal.read(stateDir).records()).containsExactlyElementsOf(result.records());
        assertThat(scrape()).contains("qfence_last_applied_timestamp_seconds " + (double) START.getEpochSecond())
                .contains("qfence_cycles_total{result=\"applied\"} 1.0")
                .contains("qfence_actions_applied_total{action=\"update\"} 1.0")
                .contains("qfence_guests{state=\"crashed\"} 1.0")
                .contains("qfence_oom_kills_total{vm=\"beta-db\"} 1.0")
                .contains("qfence_nft_drop_packets_total{counter=\"qfence_drop_forward\"} 7.0");
        assertThat(reconciler.notReadyBecause()).isEmpty();
    }

    @Test
    void withoutANewRevisionAPollIsIdleUntilTheDriftIntervalWhichHealsTheHost() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        reconciler.cycle(Trigger.STARTUP);
        assertThat(reconciler.nextWakeUp()).isEqualTo(START.plus(INTERVAL).plusSeconds(3));

        clock.advance(INTERVAL.plusSeconds(3));
        assertThat(reconciler.cycle(Trigger.SCHEDULE).idle()).isTrue();
        assertThat(host.requests()).hasSize(1);

        host.thenDrift("group.alpha/vm.alpha-app/tap");
        clock.set(START.plus(DRIFT_INTERVAL).plusSeconds(15));
        Reconciler.CycleResult check = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(host.last().mode()).isEqualTo(Mode.APPLY);
        assertThat(host.last().state().revision()).isEqualTo(repo.head());
        assertThat(check.records()).singleElement().satisfies(r -> {
            assertThat(r.trigger()).isEqualTo("drift");
            assertThat(r.outcome()).isEqualTo(Outcome.APPLIED);
            assertThat(r.drift()).singleElement().satisfies(d -> assertThat(d.healed()).isTrue());
        });
        assertThat(scrape()).contains("qfence_drift_found_total{kind=\"link\"} 1.0")
                .contains("qfence_drift_healed_total{kind=\"link\"} 1.0");
        assertThat(DaemonStatus.read(stateDir).orElseThrow().hostCheck().orElseThrow().drift()).hasSize(1);
    }

    @Test
    void aNewCommitIsAppliedAtTheNextPoll() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        reconciler.cycle(Trigger.STARTUP);
        String narrowed = repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "move the database port");

        clock.advance(INTERVAL.plusSeconds(3));
        Reconciler.CycleResult result = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(host.last().state().revision()).isEqualTo(narrowed);
        assertThat(result.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.APPLIED);
            assertThat(r.revision()).contains(narrowed);
        });
        assertThat(LastApplied.read(stateDir).orElseThrow().revision().hex()).isEqualTo(narrowed);
    }

    @Test
    void anInvalidRevisionLeavesTheLastGoodOneInPlaceAndIsJournaledOnce() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        reconciler.cycle(Trigger.STARTUP);
        String good = repo.head();
        String broken = repo.breakAlpha("oops");

        clock.advance(INTERVAL.plusSeconds(3));
        Reconciler.CycleResult first = reconciler.cycle(Trigger.SCHEDULE);
        clock.advance(INTERVAL.plusSeconds(3));
        Reconciler.CycleResult second = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(first.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.revision()).contains(broken);
            assertThat(r.errors().get(0)).contains("is invalid").contains("groups/alpha.yaml")
                    .contains("the last applied revision stays in place");
        });
        assertThat(second.idle()).isTrue();
        assertThat(host.requests()).hasSize(1);
        assertThat(LastApplied.read(stateDir).orElseThrow().revision().hex()).isEqualTo(good);

        clock.set(START.plus(DRIFT_INTERVAL).plusSeconds(15));
        reconciler.cycle(Trigger.SCHEDULE);
        assertThat(host.last().state().revision()).as("drift is healed towards the last good revision").isEqualTo(good);
        DaemonStatus status = DaemonStatus.read(stateDir).orElseThrow();
        assertThat(status.pending()).hasValueSatisfying(p -> {
            assertThat(p.revision()).isEqualTo(broken);
            assertThat(p.state()).isEqualTo(PendingState.INVALID);
        });
        assertThat(status.lastError().orElseThrow().message()).contains("is invalid");
    }

    @Test
    void whileSuspendedNothingIsAppliedOrHealedButDriftIsReportedThenResumeAppliesAtOnce() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        reconciler.cycle(Trigger.STARTUP);
        new Suspension(START, "alice", Optional.of("maintenance")).write(stateDir);
        String next = repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "move the database port");
        host.thenDrift("group.alpha/vm.alpha-app/tap");

        clock.set(START.plus(DRIFT_INTERVAL).plusSeconds(15));
        Reconciler.CycleResult suspended = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(host.last().mode()).isEqualTo(Mode.PLAN_ONLY);
        assertThat(host.last().state().revision()).as("observed against the applied revision")
                .isNotEqualTo(next);
        assertThat(suspended.records()).extracting(CycleRecord::outcome)
                .containsExactly(Outcome.SKIPPED, Outcome.SKIPPED);
        assertThat(suspended.records().get(0).notes().get(0)).contains("waits").contains("suspended since")
                .contains("alice: maintenance");
        assertThat(suspended.records().get(1).drift()).singleElement()
                .satisfies(d -> assertThat(d.healed()).isFalse());
        assertThat(scrape()).contains("qfence_suspended 1.0").contains("qfence_drift_found_total{kind=\"link\"} 1.0")
                .doesNotContain("qfence_drift_healed_total{");
        assertThat(reconciler.notReadyBecause()).hasValueSatisfying(r -> assertThat(r).startsWith("suspended"));
        assertThat(DaemonStatus.read(stateDir).orElseThrow().pending().orElseThrow().state())
                .isEqualTo(PendingState.SUSPENDED);

        assertThat(Suspension.remove(stateDir)).isTrue();
        Reconciler.CycleResult resumed = reconciler.cycle(Trigger.CONTROL);

        assertThat(host.last().mode()).isEqualTo(Mode.APPLY);
        assertThat(host.last().state().revision()).isEqualTo(next);
        assertThat(resumed.records()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo(Outcome.APPLIED));
        assertThat(scrape()).contains("qfence_suspended 0.0");
    }

    @Test
    void underNarrowingAutomationANarrowingCommitAppliesAndAWideningOneWaitsForItsOwnApproval() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.NARROWING);
        approve(repo.head(), "bootstrap");
        reconciler.cycle(Trigger.STARTUP);
        assertThat(host.requests()).hasSize(1);

        String narrowing = repo.setAlphaExceptions("", "drop the database exception");
        clock.advance(INTERVAL.plusSeconds(3));
        Reconciler.CycleResult narrowed = reconciler.cycle(Trigger.SCHEDULE);
        assertThat(narrowed.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.APPLIED);
            assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("access narrows only"));
        });
        assertThat(host.last().state().revision()).isEqualTo(narrowing);

        String widening = repo.setAlphaExceptions(DesiredRepo.exception("5432", ""), "give the database back");
        clock.advance(INTERVAL.plusSeconds(3));
        Reconciler.CycleResult waiting = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(waiting.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.AWAITING_APPROVAL);
            assertThat(r.notes().get(0)).contains("widens access").contains("vm:alpha-app -> vm:beta-db tcp/5432")
                    .contains("qfence approve " + widening);
        });
        assertThat(host.last().state().revision()).isEqualTo(narrowing);
        assertThat(scrape()).contains("qfence_awaiting_approval 1.0")
                .contains("qfence_cycles_total{result=\"awaiting_approval\"} 1.0");
        assertThat(DaemonStatus.read(stateDir).orElseThrow().pending().orElseThrow().state())
                .isEqualTo(PendingState.AWAITING_APPROVAL);

        approve(narrowing, "an approval of another commit does not count");
        assertThat(reconciler.cycle(Trigger.CONTROL).records()).extracting(CycleRecord::outcome)
                .doesNotContain(Outcome.APPLIED);

        approve(widening, "alice");
        Reconciler.CycleResult approved = reconciler.cycle(Trigger.CONTROL);
        assertThat(approved.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.APPLIED);
            assertThat(r.notes()).anySatisfy(n -> assertThat(n).startsWith("approved by alice"));
        });
        assertThat(host.last().state().revision()).isEqualTo(widening);
        assertThat(scrape()).contains("qfence_awaiting_approval 0.0");
    }

    /** beta is reached only from alpha-app on tcp/5432; the bastion never reaches beta. */
    static final String POLICY = """
            apiVersion: qfence.io/v1alpha1
            kind: Policy
            metadata:
              name: isolation
            spec:
              invariants:
                - name: beta-only-from-alpha-app
                  reason: beta holds the data
                  only:
                    into: group:beta
                    from: [alpha-app]
                    protocol: tcp
                    ports: [5432]
            """;

    @Test
    void aRevisionThatBreaksAnInvariantIsRefusedAndJournaledWhileANarrowingOneStillApplies() throws Exception {
        repo.git.commitFile(DesiredRepo.DIR + "/policies/isolation.yaml", POLICY, "invariants");
        Reconciler reconciler = reconciler(AutoApply.NARROWING);
        approve(repo.head(), "bootstrap");
        reconciler.cycle(Trigger.STARTUP);
        assertThat(host.requests()).hasSize(1);
        String good = repo.head();

        String breaking = repo.setAlphaExceptions(DesiredRepo.exception("5432", "")
                + "      - from: alpha-bastion\n        to: beta-db\n        protocol: tcp\n        ports: [22]\n", "bastion to the database");
        approve(breaking, "an approval does not lift an invariant");
        clock.advance(INTERVAL.plusSeconds(3));
        Reconciler.CycleResult refused = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(refused.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.revision()).contains(breaking);
            assertThat(r.errors().get(0)).contains("is invalid").contains("the last applied revision stays in place");
            assertThat(r.errors()).anySatisfy(e -> assertThat(e).startsWith("groups/alpha.yaml:20:9: exception 2 of group alpha")
                    .contains("breaks invariant beta-only-from-alpha-app (policies/isolation.yaml:7)")
                    .contains("vm:alpha-bastion -> vm:beta-db tcp 22"));
            assertThat(r.errors()).anySatisfy(e -> assertThat(e).startsWith("policies/isolation.yaml:7:7: invariant beta-only-from-alpha-app"));
        });
        assertThat(Journal.read(stateDir).records()).last().isEqualTo(refused.records().get(0));
        assertThat(host.requests()).hasSize(1);
        assertThat(LastApplied.read(stateDir).orElseThrow().revision().hex()).isEqualTo(good);

        String narrowing = repo.setAlphaExceptions("", "drop every exception");
        clock.advance(INTERVAL.plusSeconds(3));
        assertThat(reconciler.cycle(Trigger.SCHEDULE).records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.APPLIED);
            assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("access narrows only"));
        });
        assertThat(host.last().state().revision()).isEqualTo(narrowing);
    }

    @Test
    void underNarrowingAutomationTheFirstRevisionWidensEverythingAndWaits() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.NARROWING);

        assertThat(reconciler.cycle(Trigger.STARTUP).records()).extracting(CycleRecord::outcome)
                .containsExactly(Outcome.AWAITING_APPROVAL);
        assertThat(host.requests()).isEmpty();
        assertThat(reconciler.notReadyBecause()).contains("no revision applied yet");
    }

    @Test
    void withNoAutomationEveryRevisionWaitsForApproval() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.NONE);
        approve(repo.head(), "alice");
        reconciler.cycle(Trigger.STARTUP);
        repo.setAlphaExceptions("", "drop the database exception");

        clock.advance(INTERVAL.plusSeconds(3));
        assertThat(reconciler.cycle(Trigger.SCHEDULE).records()).extracting(CycleRecord::outcome)
                .containsExactly(Outcome.AWAITING_APPROVAL);
        assertThat(host.requests()).hasSize(1);
    }

    @Test
    void anExceptionThatExpiresWakesTheDaemonAtItsEndAndIsRemovedWithoutANewCommit() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        String commit = repo.setAlphaExceptions(DesiredRepo.exception("5432", "        expires: 2026-06-01\n"
                + "        reason: migration\n"), "a temporary exception");
        reconciler.cycle(Trigger.STARTUP);
        Instant endOfDay = Instant.parse("2026-06-02T00:00:00Z");
        assertThat(reconciler.nextExpiry()).contains(endOfDay);

        clock.set(START.plus(Duration.ofMinutes(4)));
        assertThat(reconciler.cycle(Trigger.SCHEDULE).records()).isEmpty();
        clock.set(endOfDay.plusMillis(1));
        Reconciler.CycleResult expiry = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(expiry.records()).singleElement().satisfies(r -> {
            assertThat(r.trigger()).isEqualTo("expiry");
            assertThat(r.revision()).contains(commit);
            assertThat(r.notes()).singleElement().asString()
                    .isEqualTo("exception of group alpha expired at the end of 2026-06-01: alpha-app -> beta-db "
                            + "tcp/5432 (migration)");
        });
        assertThat(host.last().mode()).isEqualTo(Mode.APPLY);
        assertThat(host.last().now()).isEqualTo(endOfDay.plusMillis(1));
        assertThat(reconciler.nextExpiry()).isEmpty();
    }

    @Test
    void theNextWakeUpIsTheEarliestOfPollHostCheckAndExpiry() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        repo.setAlphaExceptions(DesiredRepo.exception("5432", "        expires: 2026-06-01\n"), "temporary");
        clock.set(Instant.parse("2026-06-01T23:59:30Z"));
        reconciler.cycle(Trigger.STARTUP);

        assertThat(reconciler.nextWakeUp()).isEqualTo(Instant.parse("2026-06-02T00:00:00Z"));
    }

    @Test
    void anUnreachableRemoteBacksOffAppliesNothingAndTheWebhookDoesNotBypassTheBackOff() throws Exception {
        Path gone = tmp.resolve("gone");
        Reconciler reconciler = reconciler(AutoApply.ALL, new RemoteSpec.LocalRepository(gone), false);

        Reconciler.CycleResult first = reconciler.cycle(Trigger.STARTUP);
        assertThat(first.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.errors().get(0)).contains("fetch from " + gone).contains("next attempt in 15 s");
        });
        assertThat(reconciler.nextWakeUp()).isEqualTo(START.plusSeconds(INTERVAL.toSeconds() + 3));

        // the back-off (15 s) is shorter than the interval here; webhooks inside it do not fetch
        clock.advance(Duration.ofSeconds(5));
        assertThat(reconciler.cycle(Trigger.WEBHOOK).idle()).isTrue();
        assertThat(reconciler.consecutiveFetchFailures()).isEqualTo(1);

        int attempts = 1;
        for (int i = 0; i < 8; i++) {
            clock.set(reconciler.nextWakeUp());
            if (!reconciler.cycle(Trigger.SCHEDULE).idle()) {
                attempts++;
            }
        }
        assertThat(attempts).isEqualTo(9);
        assertThat(reconciler.consecutiveFetchFailures()).isEqualTo(9);
        assertThat(host.requests()).isEmpty();
        assertThat(LastApplied.read(stateDir)).isEmpty();
        assertThat(scrape()).contains("qfence_git_fetches_total{result=\"failed\"} 9.0");
        assertThat(DaemonStatus.read(stateDir).orElseThrow().fetchError()).isPresent();
    }

    @Test
    void backOffGrowsPastTheIntervalAndTheScheduleFollowsIt() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL, new RemoteSpec.LocalRepository(tmp.resolve("gone")), false);
        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            reconciler.cycle(i == 0 ? Trigger.STARTUP : Trigger.SCHEDULE);
            Instant next = reconciler.nextWakeUp();
            waits.add(Duration.between(clock.instant(), next));
            clock.set(next);
        }
        // 10 s base doubling (equal jitter at 0.5: 3/4 of the ceiling), capped at 5 min; never below the interval
        assertThat(waits).containsExactly(Duration.ofSeconds(63), Duration.ofSeconds(63), Duration.ofSeconds(63),
                Duration.ofSeconds(120), Duration.ofSeconds(225), Duration.ofSeconds(225));
    }

    @Test
    void aForcePushIsRefusedUnlessRewritesAreAllowed() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        String base = repo.head();
        String applied = repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "second");
        reconciler.cycle(Trigger.STARTUP);
        repo.git.run("reset", "-q", "--hard", base);
        String rewritten = repo.setAlphaExceptions(DesiredRepo.exception("5434", ""), "rewritten second");

        clock.advance(INTERVAL.plusSeconds(3));
        Reconciler.CycleResult refused = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(refused.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.REFUSED);
            assertThat(r.revision()).contains(rewritten);
            assertThat(r.errors().get(0)).contains("history rewritten").contains(applied.substring(0, 12));
        });
        assertThat(host.requests()).hasSize(1);
        assertThat(LastApplied.read(stateDir).orElseThrow().revision().hex()).isEqualTo(applied);
    }

    @Test
    void aForcePushIsAppliedWhenRewritesAreAllowed() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL, new RemoteSpec.LocalRepository(repo.git.dir()), true);
        String base = repo.head();
        repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "second");
        reconciler.cycle(Trigger.STARTUP);
        repo.git.run("reset", "-q", "--hard", base);
        String rewritten = repo.setAlphaExceptions(DesiredRepo.exception("5434", ""), "rewritten second");

        clock.advance(INTERVAL.plusSeconds(3));
        assertThat(reconciler.cycle(Trigger.SCHEDULE).records()).singleElement()
                .satisfies(r -> assertThat(r.notes().get(0)).contains("after a history rewrite"));
        assertThat(host.last().state().revision()).isEqualTo(rewritten);
    }

    @Test
    void aFailedApplyIsRetriedWithBackOffAndTheOldRevisionIsNotRestoredInBetween() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        reconciler.cycle(Trigger.STARTUP);
        String old = repo.head();
        String next = repo.setAlphaExceptions(DesiredRepo.exception("5433", ""), "move the database port");
        host.thenFail("cannot create qfb-alpha: EEXIST");

        clock.advance(INTERVAL.plusSeconds(3));
        Reconciler.CycleResult failed = reconciler.cycle(Trigger.SCHEDULE);
        assertThat(failed.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.actions()).singleElement().satisfies(a -> assertThat(a.result()).isEqualTo("failed"));
        });
        assertThat(LastApplied.read(stateDir).orElseThrow().revision().hex()).isEqualTo(old);
        assertThat(reconciler.notReadyBecause()).hasValueSatisfying(r -> assertThat(r).contains("EEXIST"));
        Instant retryAt = reconciler.nextWakeUp();
        assertThat(retryAt).isEqualTo(clock.instant().plusSeconds(15));

        clock.advance(Duration.ofSeconds(5));
        assertThat(reconciler.cycle(Trigger.WEBHOOK).idle()).as("within the back-off").isTrue();
        assertThat(host.requests()).hasSize(2);

        clock.set(retryAt);
        reconciler.cycle(Trigger.SCHEDULE);
        assertThat(host.requests()).hasSize(3);
        assertThat(host.last().state().revision()).isEqualTo(next);
        assertThat(LastApplied.read(stateDir).orElseThrow().revision().hex()).isEqualTo(next);
        assertThat(host.requests()).extracting(r -> r.state().revision()).doesNotContainSequence(next, old);
    }

    @Test
    void qfenceApplyHoldingTheStateLockMakesTheCycleWaitForTheNextPoll() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL);
        Reconciler.CycleResult skipped;
        try (StateLock apply = StateLock.acquire(stateDir, "qfence apply")) {
            skipped = reconciler.cycle(Trigger.STARTUP);
        }
        assertThat(skipped.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(r.errors().get(0)).contains("(qfence apply)").contains("nothing was changed");
        });
        assertThat(skipped.failed()).isTrue();
        assertThat(host.requests()).isEmpty();

        clock.advance(INTERVAL.plusSeconds(3));
        reconciler.cycle(Trigger.SCHEDULE);
        assertThat(host.requests()).hasSize(1);
    }

    @Test
    void aCycleThatFindsTheStateLockHeldItselfIsSkippedLikeOne() throws Exception {
        host.then(request -> {
            throw new LockHeldException(stateDir.resolve("qfence.lock"), Optional.empty());
        });
        Reconciler.CycleResult result = reconciler(AutoApply.ALL).cycle(Trigger.STARTUP);

        assertThat(result.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(r.errors().get(0)).contains("is locked by another process");
        });
        assertThat(LastApplied.read(stateDir)).isEmpty();
    }

    @Test
    void theDaemonHoldsTheStateLockWhileItChangesTheHost() throws Exception {
        host.then(request -> {
            try (StateLock apply = StateLock.acquire(stateDir, "qfence apply")) {
                throw new AssertionError("qfence apply got the lock during a cycle");
            } catch (LockHeldException expected) {
                return CycleOutcome.failed("checked: " + expected.getMessage());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        Reconciler.CycleResult result = reconciler(AutoApply.ALL).cycle(Trigger.STARTUP);

        assertThat(result.records().get(0).errors().get(0)).contains("checked:").contains("(qfence reconcile)");
    }

    @Test
    void aRestartReadsTheLastAppliedRevisionBackAndChecksTheHostAgainstIt() throws Exception {
        reconciler(AutoApply.ALL).cycle(Trigger.STARTUP);
        tearDown();
        open.clear();
        clock.advance(Duration.ofHours(1));
        QfenceMetrics fresh = QfenceMetrics.create();
        metrics = fresh;

        Reconciler restarted = reconciler(AutoApply.ALL);
        assertThat(scrape()).contains("qfence_last_applied_timestamp_seconds " + (double) START.getEpochSecond());
        Reconciler.CycleResult result = restarted.cycle(Trigger.STARTUP);

        assertThat(result.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.NO_CHANGES);
            assertThat(r.trigger()).isEqualTo("startup");
        });
        assertThat(host.last().state().revision()).isEqualTo(repo.head());
    }

    /**
     * A failure in the closed vocabulary (here a port that could not observe the host) is this cycle's failure, with the
     * port's words; the daemon goes on, and the apply is retried after its back-off.
     */
    @Test
    void aPortThatFailsIsTheCyclesFailureAndTheApplyIsRetried() throws Exception {
        host.then(request -> {
            throw new HostPortException(HostPortException.Port.LINKS, "list links", "network namespace of hv1",
                    new HostPortException.Errno(13, "Permission denied (EACCES, errno 13)"));
        });
        Reconciler reconciler = reconciler(AutoApply.ALL);
        Reconciler.CycleResult result = reconciler.cycle(Trigger.STARTUP);

        assertThat(result.records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.errors()).containsExactly(
                    "links: network namespace of hv1: list links: Permission denied (EACCES, errno 13)");
        });
        assertThat(result.failed()).isTrue();
        assertThat(LastApplied.read(stateDir)).isEmpty();

        clock.set(reconciler.nextWakeUp());
        assertThat(reconciler.cycle(Trigger.SCHEDULE).failed()).isFalse();
        assertThat(host.requests()).extracting(ConvergeRequest::mode).containsExactly(Mode.APPLY, Mode.APPLY);
        assertThat(host.last().state().revision()).isEqualTo(repo.head());
        assertThat(LastApplied.read(stateDir).orElseThrow().revision().hex()).isEqualTo(repo.head());
    }

    /**
     * Anything outside the closed vocabulary is a bug: the cycle records it (a failed journal record, the last error of
     * {@code status.json}, the failed-cycles counter) and then throws it as it is, for the daemon to stop on.
     */
    @Test
    void aBugInACycleIsRecordedThenThrown() throws Exception {
        IllegalStateException bug = new IllegalStateException("netlink socket closed");
        host.then(request -> {
            throw bug;
        });
        Reconciler reconciler = reconciler(AutoApply.ALL);

        assertThatThrownBy(() -> reconciler.cycle(Trigger.STARTUP)).isSameAs(bug);

        assertThat(Journal.read(stateDir).records()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(r.trigger()).isEqualTo("startup");
            assertThat(r.revision()).contains(repo.head());
            assertThat(r.errors()).singleElement().asString().startsWith("internal error")
                    .contains("java.lang.IllegalStateException: netlink socket closed");
        });
        assertThat(DaemonStatus.read(stateDir).orElseThrow().lastError().orElseThrow().message())
                .startsWith("internal error").contains("netlink socket closed");
        assertThat(scrape()).contains("qfence_cycles_total{result=\"failed\"} 1.0");
        assertThat(LastApplied.read(stateDir)).isEmpty();
    }

    /** A cycle is timed by the monotonic clock it is given, not by one it reads itself. */
    @Test
    void aCycleIsTimedByTheGivenMonotonicClock() throws Exception {
        host.then(request -> {
            clock.advance(Duration.ofMillis(1234));
            return CycleOutcome.failed("slow and failed");
        });
        Reconciler.CycleResult result = reconciler(AutoApply.ALL).cycle(Trigger.STARTUP);

        assertThat(result.records()).singleElement().satisfies(r -> {
            assertThat(r.durationMillis()).isEqualTo(1234);
            assertThat(r.startedAt()).isEqualTo(START);
        });
    }

    private void approve(String revision, String by) throws IOException {
        new Approval(CommitId.of(revision), clock.instant(), by).write(stateDir);
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
