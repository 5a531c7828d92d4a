package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.Reachability;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.LoadResult;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * Issue 17: {@code bastion.sshToGroup} is part of the policy {@code verify} proves: with it (and no exception doing
     * the same) the bastion is expected to reach port 22 of its group's VMs, by the flow {@code bastion:GROUP}, and
     * nothing else changes: not the other way, not another port.
     */
    @Test
    void theBastionsSshToItsGroupIsACellVerifyExpectsOpenWithItsOwnOrigin(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("desired-state");
        try (java.util.stream.Stream<Path> files = Files.walk(Path.of("desired-state"))) {
            for (Path from : files.toList()) {
                Files.copy(from, dir.resolve(Path.of("desired-state").relativize(from).toString()));
            }
        }
        Path db = dir.resolve("groups/db.yaml");
        String exception = """
                      - from: db-bastion
                        to: group:db
                        protocol: tcp
                        ports: [22]
                        reason: administrators reach the databases through the bastion
                """;
        String yaml = Files.readString(db);
        assertThat(yaml).contains(exception);
        Files.writeString(db, yaml.replace(exception, "").replace("    vm: db-bastion\n", "    vm: db-bastion\n    sshToGroup: true\n"));
        LoadResult loaded = DesiredStateLoader.loadDirectory(dir, Clock.fixed(Bundled.TODAY.atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
        assertThat(loaded.ok()).as(loaded.diagnostics().toString()).isTrue();
        Realization realization = Realizer.realize(loaded.state().orElseThrow(), "hv1", Bundled.FACTS, Bundled.TODAY);
        ProbePlan plan = ProbePlan.of(realization.policy(), Reachability.of(realization), ProbeWorld.choose(realization.policy()));

        for (String vm : List.of("db-main", "db-replica")) {
            ProbeCell in = cellOf(plan, "db-bastion", vm, FlowProtocol.TCP, 22);
            assertThat(in.expected()).as("db-bastion -> " + vm + " tcp 22").isTrue();
            assertThat(in.basis()).endsWith("tcp 22 (bastion:db)");
            assertThat(cellOf(plan, vm, "db-bastion", FlowProtocol.TCP, 22).expected()).as("one way").isFalse();
            assertThat(cellOf(plan, "db-bastion", vm, FlowProtocol.TCP, 9).expected()).as("port 22 only").isFalse();
        }
    }

    private static ProbeCell cellOf(ProbePlan plan, String source, String target, FlowProtocol protocol, int port) {
        return plan.cells().stream()
                .filter(c -> c.source().equals(source) && c.target().equals(target) && c.protocol() == protocol && c.port() == port)
                .findFirst().orElseThrow(() -> new AssertionError("no cell " + source + " -> " + target + " " + protocol + " " + port));
    }
}
