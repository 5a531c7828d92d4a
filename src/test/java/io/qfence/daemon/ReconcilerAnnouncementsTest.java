package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.qfence.apply.StateLock;
import io.qfence.daemon.ConvergeRequest.Mode;
import io.qfence.daemon.control.Approval;
import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.git.CommitId;
import io.qfence.daemon.git.GitMirror;
import io.qfence.daemon.git.RemoteSpec;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.daemon.notify.Announcer;
import io.qfence.daemon.notify.CommitStatus;
import io.qfence.daemon.notify.Notice;
import io.qfence.daemon.notify.NoticeEvent;
import io.qfence.daemon.notify.RevisionState;
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
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the daemon tells the outside, cycle by cycle (real Git repositories, a fake host, a stepped clock): a commit
 * status after every verdict about a revision, a notification for each event, and drift that {@code --drift=report}
 * reports instead of healing. The announcer here records; the forge and webhook requests themselves are tested
 * against a stand-in ({@code notify.ForgeStatusStandInTest}, {@code notify.NotificationWebhookStandInTest}).
 */
class ReconcilerAnnouncementsTest {

    static final Instant START = ReconcilerTest.START;
    static final Duration INTERVAL = ReconcilerTest.INTERVAL;
    static final Duration DRIFT_INTERVAL = ReconcilerTest.DRIFT_INTERVAL;
    static final String TAP = "group.alpha/vm.alpha-app/tap";

    /** Records what the daemon announces, in order. */
    static final class Recording implements Announcer {
        final List<CommitStatus> statuses = new ArrayList<>();
        final List<Notice> notices = new ArrayList<>();

        @Override
        public void commitStatus(CommitStatus status) {
            statuses.add(status);
        }

        @Override
        public void notice(Notice notice) {
            notices.add(notice);
        }

        List<String> statusLines() {
            return statuses.stream().map(s -> s.sha().substring(0, 8) + " " + s.state() + " " + s.context()).toList();
        }

        List<NoticeEvent> events() {
            return notices.stream().map(Notice::event).toList();
        }
    }

    @TempDir
    Path tmp;

    MutableClock clock;
    DesiredRepo repo;
    Path stateDir;
    FakeCycle host;
    QfenceMetrics metrics;
    Recording told = new Recording();
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

    Reconciler reconciler(AutoApply autoApply, DriftMode drift) throws Exception {
        GitMirror mirror = GitMirror.open(stateDir, new RemoteSpec.LocalRepository(repo.git.dir()), System::nanoTime);
        Journal journal = Journal.open(stateDir);
        open.add(mirror);
        open.add(journal);
        ReconcileSettings settings = new ReconcileSettings("hv1", stateDir, INTERVAL, DRIFT_INTERVAL, 0.1,
                Duration.ofSeconds(10), Duration.ofMinutes(5), autoApply, false, drift);
        return new Reconciler(settings, new GitRevisionSource(mirror, "main", DesiredRepo.DIR, Duration.ofSeconds(20),
                Optional.empty(), false), host, IsolationView.realized(),
                () -> StateLock.acquire(stateDir, "qfence reconcile"), journal, metrics, clock, clock::nanos,
                ReconcilerTest.HALF, told);
    }

    @Test
    void withDriftReportAHostCheckReportsJournalsCountsAndNotifiesTheDriftAndLeavesTheHostAlone() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL, DriftMode.REPORT);
        reconciler.cycle(Trigger.STARTUP);
        assertThat(host.last().mode()).as("a new revision applies in either mode").isEqualTo(Mode.APPLY);

        host.thenDrift(TAP);
        clock.set(START.plus(DRIFT_INTERVAL).plusSeconds(15));
        Reconciler.CycleResult check = reconciler.cycle(Trigger.SCHEDULE);

        assertThat(host.last().mode()).isEqualTo(Mode.PLAN_ONLY);
        assertThat(check.records()).singleElement().satisfies(r -> {
            assertThat(r.trigger()).isEqualTo("drift");
            assertThat(r.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(r.drift()).singleElement().satisfies(d -> assertThat(d.healed()).isFalse());
            assertThat(r.notes()).contains("--drift=report: drift is reported, not healed");
        });
        assertThat(scrape()).contains("qfence_drift_found_total{kind=\"link\"} 1.0", "qfence_drift_waiting 1.0")
                .doesNotContain("qfence_drift_healed_total{");
        DaemonStatus status = DaemonStatus.read(stateDir).orElseThrow();
        assertThat(status.drift()).isEqualTo("report");
        assertThat(status.driftWaiting()).singleElement().satisfies(d -> assertThat(d.address()).isEqualTo(TAP));
        assertThat(told.notices).filteredOn(n -> n.event() == NoticeEvent.DRIFT_FOUND).singleElement()
                .satisfies(n -> {
                    assertThat(n.revision()).contains(repo.head());
                    assertThat(n.message()).isEqualTo("drift found on hv1 and left in place: link " + TAP);
                });

        clock.advance(DRIFT_INTERVAL.plusSeconds(30));
        reconciler.cycle(Trigger.SCHEDULE);
        assertThat(host.last().mode()).isEqualTo(Mode.PLAN_ONLY);
        assertThat(scrape()).as("the edit was undone by hand: nothing waits").contains("qfence_drift_waiting 0.0");
        assertThat(DaemonStatus.read(stateDir).orElseThrow().driftWaiting()).isEmpty();
    }

    @Test
    void withDriftHealTheSameDriftIsHealedAndNotifiedAsHealed() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL, DriftMode.HEAL);
        reconciler.cycle(Trigger.STARTUP);

        host.thenDrift(TAP);
        clock.set(START.plus(DRIFT_INTERVAL).plusSeconds(15));
        reconciler.cycle(Trigger.SCHEDULE);

        assertThat(host.last().mode()).isEqualTo(Mode.APPLY);
        assertThat(scrape()).contains("qfence_drift_healed_total{kind=\"link\"} 1.0", "qfence_drift_waiting 0.0");
        assertThat(told.events()).contains(NoticeEvent.DRIFT_HEALED).doesNotContain(NoticeEvent.DRIFT_FOUND);
        assertThat(DaemonStatus.read(stateDir).orElseThrow().driftWaiting()).isEmpty();
    }

    /** The closing scenario, as the forge sees it: pending while the widening commit waits, then success. */
    @Test
    void aWideningCommitIsPendingOnTheForgeUntilApprovedThenSuccess() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.NARROWING, DriftMode.HEAL);
        String first = repo.head();
        new Approval(CommitId.of(first), clock.instant(), "bootstrap").write(stateDir);
        reconciler.cycle(Trigger.STARTUP);
        String narrowing = repo.setAlphaExceptions("", "drop the database exception");
        clock.advance(INTERVAL.plusSeconds(3));
        reconciler.cycle(Trigger.SCHEDULE);

        String widening = repo.setAlphaExceptions(DesiredRepo.exception("5432", ""), "give the database back");
        clock.advance(INTERVAL.plusSeconds(3));
        reconciler.cycle(Trigger.SCHEDULE);
        clock.advance(INTERVAL.plusSeconds(3));
        reconciler.cycle(Trigger.SCHEDULE);
        new Approval(CommitId.of(widening), clock.instant(), "alice").write(stateDir);
        reconciler.cycle(Trigger.CONTROL);

        assertThat(told.statusLines()).containsExactly(
                first.substring(0, 8) + " APPLIED qfence/hv1",
                narrowing.substring(0, 8) + " APPLIED qfence/hv1",
                widening.substring(0, 8) + " AWAITING_APPROVAL qfence/hv1",
                widening.substring(0, 8) + " APPLIED qfence/hv1");
        assertThat(told.statuses.get(2).description()).contains("widens access").contains("5432")
                .endsWith("run qfence approve " + widening.substring(0, 12)).hasSizeLessThanOrEqualTo(140);
        assertThat(told.notices).filteredOn(n -> n.event() == NoticeEvent.AWAITING_APPROVAL).singleElement()
                .satisfies(n -> assertThat(n.revision()).contains(widening));
    }

    @Test
    void aFailedApplyIsAFailureOnTheForgeAndANotification() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL, DriftMode.HEAL);
        host.thenFail("links: group.alpha/bridge: create: File exists");

        reconciler.cycle(Trigger.STARTUP);

        assertThat(told.statuses).singleElement().satisfies(s -> {
            assertThat(s.sha()).isEqualTo(repo.head());
            assertThat(s.state()).isEqualTo(RevisionState.APPLY_FAILED);
            assertThat(s.description()).isEqualTo("apply failed on hv1: links: group.alpha/bridge: create: File exists");
        });
        assertThat(told.notices).filteredOn(n -> n.event() == NoticeEvent.APPLY_FAILED).singleElement()
                .satisfies(n -> assertThat(n.subject()).isEqualTo(repo.head()));
    }

    @Test
    void anInvalidRevisionIsRefusedOnTheForgeAndTheAppliedOneStays() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL, DriftMode.HEAL);
        reconciler.cycle(Trigger.STARTUP);
        String invalid = repo.breakAlpha("break the schema");

        clock.advance(INTERVAL.plusSeconds(3));
        reconciler.cycle(Trigger.SCHEDULE);

        assertThat(told.statuses).last().satisfies(s -> {
            assertThat(s.sha()).isEqualTo(invalid);
            assertThat(s.state()).isEqualTo(RevisionState.INVALID);
        });
        assertThat(told.events()).contains(NoticeEvent.REVISION_REFUSED);
    }

    @Test
    void aCrashedGuestAndANewOomKillAreNotifiedButTheFirstObservationIsOnlyABaseline() throws Exception {
        Reconciler reconciler = reconciler(AutoApply.ALL, DriftMode.HEAL);
        reconciler.cycle(Trigger.STARTUP);
        assertThat(told.events()).contains(NoticeEvent.GUEST_CRASHED).doesNotContain(NoticeEvent.GUEST_OOM_KILLED);

        host.then(request -> new CycleOutcome(Optional.of("sha256:x"), Optional.empty(), List.of(), List.of(),
                List.of(), Optional.empty(), Optional.of(new HostObservation(List.of(), new TreeMap<>(Map.of(
                "beta-db", 3L)), new TreeMap<>()))));
        clock.set(START.plus(DRIFT_INTERVAL).plusSeconds(15));
        reconciler.cycle(Trigger.SCHEDULE);

        assertThat(told.notices).filteredOn(n -> n.event() == NoticeEvent.GUEST_OOM_KILLED).singleElement()
                .satisfies(n -> {
                    assertThat(n.subject()).isEqualTo("beta-db #3");
                    assertThat(n.message()).isEqualTo("the OOM killer killed 2 process(es) in guest beta-db's cgroup "
                            + "on hv1 (3 in all)");
                });
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }
}
