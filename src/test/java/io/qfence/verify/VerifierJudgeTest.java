package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.host.Sandbox.ProbeResult;
import io.qfence.realize.FlowProtocol;
import org.junit.jupiter.api.Test;

/** A probe counts as reached only when the intended endpoint answered. */
class VerifierJudgeTest {

    static final ProbeCell TO_DB = MatrixRendererTest.cell("c1", "web-app-1", "db-main", FlowProtocol.TCP, 5432, true);

    @Test
    void theIntendedBannerIsReach() {
        VerifyReport.CellResult r = Verifier.judge(TO_DB, new ProbeResult("c1", true, "QF-TCP-OK db-main"));
        assertThat(r.observed()).isTrue();
        assertThat(r.matches()).isTrue();
    }

    @Test
    void silenceOrARefusalIsNoReach() {
        assertThat(Verifier.judge(TO_DB, new ProbeResult("c1", false, "nc: timed out")).observed()).isFalse();
        assertThat(Verifier.judge(TO_DB, new ProbeResult("c1", false, "Connection refused")).evidence()).isEqualTo("Connection refused");
        assertThat(Verifier.judge(TO_DB, null).evidence()).isEqualTo("not probed");
    }

    @Test
    void anAnswerFromSomeoneElseIsAlwaysAMismatch() {
        VerifyReport.CellResult r = Verifier.judge(TO_DB, new ProbeResult("c1", true, "QF-TCP-OK db-replica"));
        assertThat(r.observed()).isTrue();
        assertThat(r.wrongTarget()).isTrue();
        assertThat(r.matches()).isFalse();
    }

    @Test
    void aPingReplyIsReach() {
        ProbeCell ping = MatrixRendererTest.cell("c3", "web-app-1", "db-main", FlowProtocol.ICMP, 0, false);
        VerifyReport.CellResult r = Verifier.judge(ping, new ProbeResult("c3", true, "bytes from 10.20.0.11: seq=0 ttl=63 time=1.2 ms"));
        assertThat(r.observed()).isTrue();
        assertThat(r.matches()).isFalse();
    }
}
