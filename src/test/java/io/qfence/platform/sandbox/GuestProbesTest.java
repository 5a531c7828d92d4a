package io.qfence.platform.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.host.Sandbox.Probe;
import io.qfence.host.Sandbox.ProbeProtocol;
import io.qfence.host.Sandbox.ProbeResult;
import io.qfence.model.Ipv4Address;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuestProbesTest {

    static final List<Probe> PROBES = List.of(
            new Probe("c1", ProbeProtocol.TCP, Ipv4Address.parse("10.20.0.11"), 5432),
            new Probe("c2", ProbeProtocol.UDP, Ipv4Address.parse("10.20.0.11"), 9),
            new Probe("c3", ProbeProtocol.ICMP, Ipv4Address.parse("10.20.0.11"), 0));

    @Test
    void aBatchIsOneCallOfTheGuestsAgentWithEveryProbeAsAnArgument() {
        assertThat(GuestProbes.commandLine(PROBES))
                .isEqualTo("qf-probe 3 c1,t,10.20.0.11,5432 c2,u,10.20.0.11,9 c3,i,10.20.0.11");
    }

    @Test
    void resultsAreReadFromTheirOwnLinesInAnyOrderAndAMissingOneIsNoAnswer() {
        String output = String.join("\n",
                "QF-P c3 0 bytes from 10.20.0.11: seq=0 ttl=63 time=1.1 ms",
                "noise the guest printed",
                "QF-P c1 0 QF-TCP-OK db-main",
                "QF-P c1 1 a second line for c1 is ignored");
        assertThat(GuestProbes.parse(PROBES, output)).containsExactly(
                new ProbeResult("c1", true, "QF-TCP-OK db-main"),
                new ProbeResult("c2", false, "no result from the guest"),
                new ProbeResult("c3", true, "bytes from 10.20.0.11: seq=0 ttl=63 time=1.1 ms"));
    }

    @Test
    void aFailedProbeCarriesItsReason() {
        assertThat(GuestProbes.parse(PROBES.subList(0, 1), "QF-P c1 1 nc: timed out"))
                .containsExactly(new ProbeResult("c1", false, "nc: timed out"));
    }
}
