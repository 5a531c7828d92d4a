package io.qfence.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.model.host.GuestState;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QfenceMetricsTest {

    static final String GOLDEN = "golden/daemon/metrics.txt";

    /** A daemon's metrics after a few cycles, in the Prometheus text format, exactly. */
    @Test
    void theExpositionListsEveryMetricWithHelpAndLabels() throws Exception {
        QfenceMetrics metrics = sample();

        String text = exposition(metrics);

        io.qfence.testing.Golden.assertMatches(io.qfence.testing.Golden.RESOURCES.resolve(GOLDEN), text);
    }

    /**
     * A fleet's Prometheus tells hosts apart by {@code host}: every sample of a host's daemon carries it, with the
     * metric names unchanged (so existing alerts keep working and {@code sum by (host)} works across the fleet).
     */
    @Test
    void everySampleOfAHostsDaemonCarriesItsHostName() throws Exception {
        QfenceMetrics metrics = QfenceMetrics.create("hv2");
        QfenceMetrics unnamed = QfenceMetrics.create();
        for (QfenceMetrics m : java.util.List.of(metrics, unnamed)) {
            m.cycleFinished(Outcome.APPLIED);
            m.guestsObserved(Map.of(GuestState.RUNNING, 1));
            m.oomKillsObserved(Map.of("web-01", 1L));
            m.dropCountersObserved(Map.of("drop_from_web", 3L));
            m.exceptionsObserved(java.util.List.of(new QfenceMetrics.ExceptionEnd("db", "web -> db tcp/5432", java.time.Instant.EPOCH)));
        }

        java.util.List<String> samples = exposition(metrics).lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();

        assertThat(samples).isNotEmpty().allSatisfy(l -> assertThat(l).contains("host=\"hv2\""));
        java.util.Set<String> names = new java.util.TreeSet<>();
        exposition(metrics).lines().filter(l -> l.startsWith("# TYPE ")).forEach(l -> names.add(l.split(" ")[2]));
        java.util.Set<String> before = new java.util.TreeSet<>();
        exposition(unnamed).lines().filter(l -> l.startsWith("# TYPE ")).forEach(l -> before.add(l.split(" ")[2]));
        assertThat(names).as("the same metric names as without a host").isEqualTo(before);
    }

    @Test
    void observedSnapshotsReplaceThePreviousOnes() throws Exception {
        QfenceMetrics metrics = QfenceMetrics.create();
        metrics.guestsObserved(Map.of(GuestState.RUNNING, 3));
        metrics.guestsObserved(Map.of(GuestState.RUNNING, 1, GuestState.CRASHED, 1));
        metrics.oomKillsObserved(Map.of("web-01", 1L));
        metrics.oomKillsObserved(Map.of("web-01", 2L));

        String text = exposition(metrics);

        assertThat(text).contains("qfence_guests{state=\"running\"} 1.0\n", "qfence_guests{state=\"crashed\"} 1.0\n",
                "qfence_guests{state=\"stopped\"} 0.0\n", "qfence_oom_kills_total{vm=\"web-01\"} 2.0\n");
    }

    /** The alert "applies failing" counts failures in a row: a success ends the run, a refusal does not. */
    @Test
    void failedCyclesAreCountedInARowUntilACycleSucceeds() throws Exception {
        QfenceMetrics metrics = QfenceMetrics.create();
        metrics.cycleFinished(Outcome.FAILED);
        metrics.cycleFinished(Outcome.REFUSED);
        metrics.cycleFinished(Outcome.FAILED);
        assertThat(exposition(metrics)).contains("qfence_consecutive_failed_cycles 2.0\n");

        metrics.cycleFinished(Outcome.NO_CHANGES);
        assertThat(exposition(metrics)).contains("qfence_consecutive_failed_cycles 0.0\n");
    }

    static QfenceMetrics sample() {
        QfenceMetrics metrics = QfenceMetrics.create();
        metrics.cycleFinished(Outcome.APPLIED);
        metrics.cycleFinished(Outcome.NO_CHANGES);
        metrics.cycleFinished(Outcome.NO_CHANGES);
        metrics.cycleFinished(Outcome.REFUSED);
        metrics.revisionApplied(Instant.parse("2024-05-01T12:00:00Z"));
        metrics.driftFound("firewall");
        metrics.driftFound("link");
        metrics.driftHealed("firewall", "firewall");
        metrics.cycleFinished(Outcome.FAILED);
        metrics.headApplied(true);
        metrics.exceptionsObserved(java.util.List.of(new QfenceMetrics.ExceptionEnd("db", "web -> db tcp/5432",
                Instant.parse("2024-05-08T00:00:00Z"))));
        metrics.actionApplied("create");
        metrics.actionApplied("create");
        metrics.actionApplied("update");
        metrics.applyTook(Duration.ofMillis(1500));
        metrics.webhookRequest("accepted");
        metrics.webhookRequest("bad-signature");
        metrics.gitFetch("updated");
        metrics.gitFetch("failed");
        metrics.guestsObserved(Map.of(GuestState.RUNNING, 2, GuestState.STOPPED, 1));
        metrics.oomKillsObserved(Map.of("web-01", 1L, "db-01", 0L));
        metrics.dropCountersObserved(Map.of("qf_drop_web_forward", 17L, "qf_drop_host_input", 3L));
        metrics.driftWaiting(2);
        metrics.forgeStatus("failed");
        metrics.forgeStatus("sent");
        metrics.notification("drift_found", "sent");
        metrics.notification("drift_found", "deduplicated");
        return metrics;
    }

    static String exposition(QfenceMetrics metrics) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    static String golden() throws Exception {
        try (InputStream in = QfenceMetricsTest.class.getClassLoader().getResourceAsStream(GOLDEN)) {
            assertThat(in).as("golden file " + GOLDEN).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
