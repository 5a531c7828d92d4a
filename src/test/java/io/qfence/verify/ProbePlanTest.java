package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProbePlanTest {

    static ProbeCell cell(String source, String target, FlowProtocol protocol, int port) {
        return Bundled.PLAN.cells().stream()
                .filter(c -> c.source().equals(source) && c.target().equals(target) && c.protocol() == protocol && c.port() == port)
                .findFirst().orElseThrow(() -> new AssertionError("no cell " + source + " -> " + target + " " + protocol + " " + port));
    }

    @Test
    void theStandInWorldAvoidsEveryNetworkOfThePolicyExceptWhereItStandsForOne() {
        ProbeWorld w = Bundled.WORLD;
        assertThat(w.uplink()).isEqualTo(Ipv4Cidr.parse("198.18.0.0/24"));
        assertThat(w.hostAddress()).isEqualTo(Ipv4Address.parse("198.18.0.1"));
        assertThat(w.internet()).isEqualTo(Ipv4Address.parse("192.0.2.80"));
        assertThat(w.prefixes()).containsExactly(java.util.Map.entry(Ipv4Cidr.parse("203.0.113.0/24"), Ipv4Address.parse("203.0.113.10")));
        assertThat(w.outsideInside()).containsExactly(java.util.Map.entry(Ipv4Cidr.parse("198.51.100.0/24"), Ipv4Address.parse("198.51.100.10")));
        assertThat(w.stranger()).isEqualTo(Ipv4Address.parse("192.0.2.99"));
        for (Ipv4Address a : w.outsideAddresses()) {
            assertThat(Bundled.REALIZATION.policy().isQfenceAddress(new Ipv4Cidr(a, 32))).as(a.toString()).isFalse();
        }
    }

    @Test
    void everyTargetListensOnThePortsThePolicyNamesForItsKindPlusOneNoRuleNames() {
        assertThat(Bundled.PLAN.vmPorts().tcp()).containsExactly(9, 22, 5432);
        assertThat(Bundled.PLAN.vmPorts().udp()).containsExactly(9);
        assertThat(Bundled.PLAN.hostPorts().tcp()).containsExactly(9, 22, 5432);
        assertThat(Bundled.PLAN.hostPorts().udp()).containsExactly(9, 53);
        assertThat(Bundled.PLAN.outsidePorts().tcp()).containsExactly(9, 80, 443, 8000, 8080);
        assertThat(Bundled.PLAN.outsidePorts().udp()).containsExactly(9);
    }

    @Test
    void everyVmProbesEveryOtherBridgedVmOnEveryPortAndWithPing() {
        List<VmEndpoint> vms = Bundled.REALIZATION.policy().vms();
        for (VmEndpoint s : vms) {
            for (VmEndpoint t : vms) {
                if (!t.bridged() || t.name().equals(s.name())) {
                    continue;
                }
                for (int port : List.of(9, 22, 5432)) {
                    assertThat(cell(s.name(), t.name(), FlowProtocol.TCP, port).address()).isEqualTo(t.ip().orElseThrow());
                }
                cell(s.name(), t.name(), FlowProtocol.UDP, 9);
                if (s.bridged()) {
                    cell(s.name(), t.name(), FlowProtocol.ICMP, 0);
                }
            }
        }
        assertThat(Bundled.PLAN.cells()).extracting(ProbeCell::id).doesNotHaveDuplicates();
        assertThat(Bundled.PLAN.cells()).filteredOn(c -> c.source().equals("ci-runner")).noneMatch(c -> c.protocol() == FlowProtocol.ICMP);
    }

    @Test
    void expectationsComeFromTheReachabilityRelationWithTheFlowThatAllowsThem() {
        ProbeCell db = cell("web-app-1", "db-main", FlowProtocol.TCP, 5432);
        assertThat(db.expected()).isTrue();
        assertThat(db.basis()).isEqualTo("group:web -> vm:db-main tcp 5432 (exception:web:1)");
        assertThat(db.banner()).isEqualTo("QF-TCP-OK db-main");
        assertThat(cell("web-app-2", "db-replica", FlowProtocol.TCP, 5432).expected()).as("the expired exception").isFalse();
        assertThat(cell("db-main", "db-replica", FlowProtocol.TCP, 5432).expected()).isTrue();
        assertThat(cell("db-replica", "db-main", FlowProtocol.TCP, 5432).expected()).as("replication flows one way").isFalse();
        assertThat(cell("db-main", "db-replica", FlowProtocol.TCP, 9).expected()).as("db denies intra-group traffic").isFalse();
        assertThat(cell("web-app-1", "web-app-2", FlowProtocol.UDP, 9).expected()).as("web allows it").isTrue();
        assertThat(cell("db-main", "db-bastion", FlowProtocol.ICMP, 0).expected()).isTrue();
        assertThat(cell("db-bastion", "db-main", FlowProtocol.ICMP, 0).expected()).isFalse();
        assertThat(cell("ci-bastion", "web-bastion", FlowProtocol.TCP, 22).expected()).isTrue();
        assertThat(cell("ci-builder", "web-bastion", FlowProtocol.TCP, 22).expected()).isFalse();
    }

    @Test
    void theHostIsProbedAtTheGatewayAndTheUplinkAndThroughUserModeNetworkingAtItsLoopback() {
        assertThat(cell("web-app-1", "host 10.10.0.1", FlowProtocol.UDP, 53).expected()).isTrue();
        assertThat(cell("web-app-1", "host 198.18.0.1", FlowProtocol.UDP, 53).expected()).isTrue();
        assertThat(cell("web-app-1", "host 10.10.0.1", FlowProtocol.TCP, 22).expected()).isFalse();
        assertThat(cell("web-app-2", "host 10.10.0.1", FlowProtocol.UDP, 53).expected()).isFalse();
        ProbeCell loopback = cell("ci-runner", "host loopback (slirp 10.0.2.2)", FlowProtocol.TCP, 22);
        assertThat(loopback.address()).isEqualTo(Ipv4Address.parse("10.0.2.2"));
        assertThat(loopback.expected()).isFalse();
        assertThat(Bundled.PLAN.cells()).filteredOn(c -> c.target().startsWith("host")).allMatch(c -> c.owner().isEmpty());
    }

    @Test
    void theInternetAndThePrefixesAreReachedAsEgressAndExceptionsAllow() {
        assertThat(cell("ci-builder", "internet 192.0.2.80", FlowProtocol.TCP, 443).expected()).isTrue();
        assertThat(cell("ci-builder", "internet 192.0.2.80", FlowProtocol.TCP, 8000).expected()).isFalse();
        assertThat(cell("ci-builder", "203.0.113.0/24 (203.0.113.10)", FlowProtocol.TCP, 8080).expected()).isTrue();
        assertThat(cell("ci-builder", "203.0.113.0/24 (203.0.113.10)", FlowProtocol.TCP, 9).expected()).isFalse();
        assertThat(cell("web-app-2", "internet 192.0.2.80", FlowProtocol.UDP, 9).expected()).as("web's egress is nat").isTrue();
        assertThat(cell("db-main", "internet 192.0.2.80", FlowProtocol.ICMP, 0).expected()).isFalse();
    }

    @Test
    void theBastionsExposureIsProbedFromInsideAndFromOutsideItsAllowedBlock() {
        ProbeCell allowed = cell("outside 198.51.100.10", "web-bastion via host:2222", FlowProtocol.TCP, 2222);
        assertThat(allowed.expected()).isTrue();
        assertThat(allowed.address()).isEqualTo(Ipv4Address.parse("198.18.0.1"));
        assertThat(allowed.owner()).contains("web-bastion");
        assertThat(allowed.banner()).isEqualTo("QF-TCP-OK web-bastion");
        assertThat(allowed.sourceVm()).isEqualTo(Optional.empty());
        assertThat(cell("outside 192.0.2.99", "web-bastion via host:2222", FlowProtocol.TCP, 2222).expected()).isFalse();
    }
}
