package io.qfence.realize;

import static io.qfence.realize.Fixtures.allow;
import static io.qfence.realize.Fixtures.bridged;
import static io.qfence.realize.Fixtures.group;
import static io.qfence.realize.Fixtures.host;
import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Protocol;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import io.qfence.testing.PacketEndpoints;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The realized firewall enforces what the reachability relation says, with real packets: a "host" namespace with
 * the realized bridges, addresses, host settings and nft ruleset, and one namespace per VM joined by a veth whose
 * host end carries the VM's tap name (a tap needs QEMU to carry traffic; for the firewall a port is a port). Each
 * probe's outcome must equal {@code relation.allows(...)}.
 */
@RequiresHost(tools = {"ip", "nft", "sysctl", "setpriv"}, files = "/usr/bin/python3")
class FirewallTrafficTest {

    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final String hostNs = "qfence-test-" + id + "-h";
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> listeners = new ArrayList<>();
    private Realization realization;
    private ReachabilityRelation relation;

    static DesiredState state() {
        return Fixtures.state(host("hv1", List.of("a", "b")),
                group("a", 91, "10.91.0.0/24", Egress.NONE, IntraGroup.DENY,
                        List.of(bridged("a-1", "10.91.0.11"), bridged("a-2", "10.91.0.12")),
                        allow("a-1", "a-2", Protocol.TCP, "7000"),
                        allow("a-1", "group:b", Protocol.TCP, "7001"),
                        allow("a-2", "host", Protocol.TCP, "7002")),
                // egress nat: the user-mode VM's outward allowance would also match the loopback, were it not
                // dropped first by `fib daddr type local`
                group("b", 92, "10.92.0.0/24", Egress.NAT, IntraGroup.ALLOW,
                        List.of(bridged("b-1", "10.92.0.11"), bridged("b-2", "10.92.0.12"), Fixtures.userMode("b-u")),
                        allow("b-u", "a-2", Protocol.TCP, "7000")));
    }

    @BeforeEach
    void buildHost() throws IOException {
        realization = Realizer.realize(state(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY);
        relation = Reachability.of(realization);
        RealizedNamespaces.build(realization, hostNs, this::guestNs, this::addNamespace, true);
        listen(guestNs("a-1"), "7000");
        listen(guestNs("a-2"), "7000");
        listen(guestNs("b-1"), "7001", "7003");
        listen(guestNs("b-2"), "7001", "7003");
        listen(hostNs, "7002");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        RealizedNamespaces.tearDown(listeners, namespaces);
    }

    @Test
    void probesReachExactlyWhatTheRelationAllows() {
        expect("a-1", "10.91.0.12", 7000, vm("a-2"), true);   // intra-group exception
        expect("a-2", "10.91.0.11", 7000, vm("a-1"), false);  // ...one way only
        expect("a-1", "10.92.0.11", 7001, vm("b-1"), true);   // exception to a group, routed
        expect("a-1", "10.92.0.12", 7001, vm("b-2"), true);
        expect("a-2", "10.92.0.11", 7001, vm("b-1"), false);  // groups are isolated by default
        expect("b-1", "10.92.0.12", 7003, vm("b-2"), true);   // intra-group allow, bridged through br_netfilter
        expect("b-1", "10.91.0.11", 7000, vm("a-1"), false);
        expect("a-2", "10.91.0.1", 7002, Principal.HOST, true);   // host exception
        expect("a-1", "10.91.0.1", 7002, Principal.HOST, false);  // guests never reach the host otherwise
        expect("b-1", "10.92.0.1", 7002, Principal.HOST, false);
    }

    @Test
    void aVmThatForgesAnotherVmsAddressIsDroppedAtItsTap() {
        assertThat(probe("a-2", "10.91.0.1", 7002, null)).as("warm the gateway's neighbour entry").isTrue();
        Witness.inNetns(guestNs("a-2"), "ip", "addr", "add", "10.91.0.11/32", "dev", "eth0");
        assertThat(relation.allows(vm("a-1"), vm("b-1"), FlowProtocol.TCP, 7001)).isTrue();
        assertThat(probe("a-2", "10.92.0.11", 7001, "10.91.0.11")).as("a-2 posing as a-1").isFalse();
        assertThat(counter("drop_spoofed_ipv4") + counter("drop_spoofed_arp")).isPositive();
    }

    /**
     * A user-mode VM's traffic is its QEMU's own sockets on the host, policed by uid: here a process running as the
     * VM's uid in the host namespace stands in for that QEMU.
     */
    @Test
    void aUserModeVmsUidReachesNeitherTheHostNorItsLoopbackOnlyWhatItIsAllowed() {
        long uid = realization.policy().vm("b-u").orElseThrow().uid();
        Principal bu = vm("b-u");
        assertThat(probeAsUid(uid, "10.91.0.12", 7000)).isTrue();
        assertThat(relation.allows(bu, vm("a-2"), FlowProtocol.TCP, 7000)).isTrue();
        assertThat(probeAsUid(uid, "10.92.0.11", 7001)).as("intra-group allow covers the group's user-mode VMs").isTrue();
        assertThat(relation.allows(bu, vm("b-1"), FlowProtocol.TCP, 7001)).isTrue();
        assertThat(probeAsUid(uid, "10.91.0.11", 7000)).isFalse();
        assertThat(relation.allows(bu, vm("a-1"), FlowProtocol.TCP, 7000)).isFalse();
        assertThat(probeAsUid(uid, "127.0.0.1", 7002)).as("the host's loopback").isFalse();
        assertThat(probeAsUid(uid, "10.91.0.1", 7002)).as("the host's own address").isFalse();
        assertThat(relation.allows(bu, Principal.HOST, FlowProtocol.TCP, 7002)).isFalse();
        assertThat(probeAsUid(0, "127.0.0.1", 7002)).as("the host itself is not affected").isTrue();
    }

    @Test
    void aBridgedVmsUidMayNotUseTheHostsNetworkAtAll() {
        long uid = realization.policy().vm("a-2").orElseThrow().uid();
        assertThat(probeAsUid(uid, "127.0.0.1", 7002)).isFalse();
        assertThat(probeAsUid(uid, "10.92.0.11", 7001)).isFalse();
    }

    private boolean probeAsUid(long uid, String address, int port) {
        return Witness.tryRun("ip", "netns", "exec", hostNs, "setpriv", "--reuid", Long.toString(uid), "--regid", Long.toString(uid),
                "--clear-groups", "/usr/bin/python3", "-c", PacketEndpoints.PROBE_TCP, address, Integer.toString(port)).exitCode() == 0;
    }

    private void expect(String from, String address, int port, Principal to, boolean reachable) {
        Principal source = vm(from);
        assertThat(relation.allows(source, to, FlowProtocol.TCP, port)).as("relation: %s -> %s tcp %d", from, to, port).isEqualTo(reachable);
        assertThat(probe(from, address, port, null)).as("probe: %s -> %s:%d", from, address, port).isEqualTo(reachable);
    }

    private boolean probe(String fromVm, String address, int port, String sourceAddress) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", guestNs(fromVm), "/usr/bin/python3", "-c", PacketEndpoints.PROBE_TCP, address, Integer.toString(port)));
        if (sourceAddress != null) {
            cmd.add(sourceAddress);
        }
        return Witness.tryRun(cmd.toArray(String[]::new)).exitCode() == 0;
    }

    private long counter(String name) {
        String json = Witness.inNetns(hostNs, "nft", "-j", "list", "counter", "bridge", "qfence", name);
        for (var o : RealizationJson.parse(json).get("nftables")) {
            if (o.has("counter")) {
                return o.get("counter").get("packets").asLong();
            }
        }
        throw new AssertionError("no counter " + name);
    }

    private Principal vm(String name) {
        return realization.policy().vm(name).orElseThrow().principal();
    }

    private String guestNs(String vm) {
        return "qfence-test-" + id + "-" + vm.replace("-", "");
    }

    private void addNamespace(String ns) {
        Witness.run("ip", "netns", "add", ns);
        namespaces.add(ns);
    }

    private void listen(String ns, String... ports) throws IOException {
        RealizedNamespaces.listen(listeners, ns, ports);
    }
}
