package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Ipv4Address;
import io.qfence.realize.FlowProtocol;
import io.qfence.testing.Golden;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MatrixRendererTest {

    static ProbeCell cell(String id, String source, String target, FlowProtocol p, int port, boolean expected) {
        return new ProbeCell(id, source, Optional.of(source), target, Optional.of(target), Ipv4Address.parse("10.20.0.11"), p, port, expected,
                p == FlowProtocol.ICMP ? "" : "QF-TCP-OK " + target, expected ? "group:web -> vm:db-main tcp 5432 (exception:web:1)" : "no flow allows it");
    }

    static VerifyReport report(boolean broken) {
        List<VerifyReport.CellResult> results = List.of(
                new VerifyReport.CellResult(cell("c0", "web-app-1", "db-main", FlowProtocol.TCP, 9, false), broken, false,
                        broken ? "QF-TCP-OK db-main" : "nc: timed out"),
                new VerifyReport.CellResult(cell("c1", "web-app-1", "db-main", FlowProtocol.TCP, 5432, true), true, false, "QF-TCP-OK db-main"),
                new VerifyReport.CellResult(cell("c2", "web-app-1", "db-main", FlowProtocol.UDP, 9, false), false, false, "no answer"),
                new VerifyReport.CellResult(cell("c3", "web-app-1", "db-main", FlowProtocol.ICMP, 0, false), false, false, "no answer"),
                new VerifyReport.CellResult(cell("c4", "db-main", "web-app-1", FlowProtocol.TCP, 9, false), false, false, "nc: timed out"),
                new VerifyReport.CellResult(new ProbeCell("c5", "outside 198.51.100.10", Optional.empty(), "web-bastion via host:2222",
                        Optional.of("web-bastion"), Ipv4Address.parse("198.18.0.1"), FlowProtocol.TCP, 2222, true, "QF-TCP-OK web-bastion",
                        "outside:198.51.100.0/24 -> vm:web-bastion tcp 22 via host tcp 2222 (expose:web)"),
                        true, broken, broken ? "answered by someone else: QF-HOST-OK at 198.18.0.1 from 198.51.100.10" : "QF-TCP-OK web-bastion"));
        Map<String, Duration> phases = new LinkedHashMap<>();
        phases.put("sandbox", Duration.ofMillis(300));
        phases.put("apply", Duration.ofMillis(2100));
        phases.put("boot", Duration.ofMillis(9800));
        phases.put("probes", Duration.ofMillis(18400));
        phases.put("teardown", Duration.ofMillis(700));
        return new VerifyReport("hv1", "dir:desired-state", "qfence-verify-0000test", Bundled.WORLD, results,
                Map.of("db-main", Duration.ofMillis(2500), "web-app-1", Duration.ofMillis(2300)), phases, 3,
                List.of("killed 2 guests", "removed /tmp/qfence-verify-0000test"));
    }

    @Test
    void aPassingMatrixIsOneLinePerPairWithEachPortReachedOrNot() {
        assertThat(report(false).passed()).isTrue();
        Golden.assertMatches("verify/passed.txt", MatrixRenderer.text(report(false), false));
    }

    @Test
    void everyMismatchIsMarkedInTheMatrixAndExplainedBelowIt() {
        VerifyReport broken = report(true);
        assertThat(broken.passed()).isFalse();
        assertThat(broken.mismatches()).extracting(r -> r.cell().id()).containsExactly("c0", "c5");
        Golden.assertMatches("verify/failed.txt", MatrixRenderer.text(broken, false));
        Golden.assertMatches("verify/failed.md", MatrixRenderer.markdown(broken));
        Golden.assertMatches("verify/failed.json", MatrixRenderer.json(broken));
    }

    @Test
    void colourIsOnlyAddedWhenAsked() {
        assertThat(MatrixRenderer.text(report(true), false)).doesNotContain("\u001b[");
        assertThat(MatrixRenderer.text(report(true), true)).contains("\u001b[1;37;41m9+!\u001b[0m");
    }

    @Test
    void teardownThatLeftSomethingFailsTheRun() {
        VerifyReport r = report(false);
        VerifyReport leaky = new VerifyReport(r.host(), r.revision(), r.sandbox(), r.world(), r.results(), r.guestBoot(), r.phases(), r.passes(),
                List.of("LEFT cgroup qfence-verify-0000test: busy"));
        assertThat(leaky.passed()).isFalse();
        assertThat(MatrixRenderer.summary(leaky, false)).endsWith("TEARDOWN LEFT SOMETHING BEHIND");
    }
}
