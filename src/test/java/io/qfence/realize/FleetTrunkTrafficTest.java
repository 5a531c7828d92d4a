package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.desired.DesiredState;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.PacketEndpoints;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The trunk's checks with real packets (DESIGN.md §20), on this kernel without 802.1Q: two "host" namespaces, hv1 and
 * hv2 of {@link Fleets#threeHosts()}, each with its realized bridges, host settings and nft ruleset; their {@code web}
 * bridges are joined by a veth whose two ends are both named {@code qfv-10} (the VLAN port's name, which is all the
 * rules match on), standing in for the uplink's VLAN 10 and the switch. One namespace per VM, as in
 * {@code FirewallTrafficTest}. The lab proves the same with real tagged frames.
 */
@RequiresHost(tools = {"ip", "nft", "sysctl"}, files = "/usr/bin/python3")
class FleetTrunkTrafficTest {

    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> listeners = new ArrayList<>();
    private final DesiredState fleet = Fleets.threeHosts();

    @BeforeEach
    void buildHosts() throws IOException {
        for (String host : List.of("hv1", "hv2")) {
            buildHost(host, Realizer.realize(fleet, host, Fleets.WITH_VLANS, Fixtures.TODAY));
        }
        Witness.inNetns(hostNs("hv1"), "ip", "link", "add", "qfv-10", "type", "veth", "peer", "name", "qfv-10", "netns", hostNs("hv2"));
        for (String host : List.of("hv1", "hv2")) {
            Witness.inNetns(hostNs(host), "ip", "link", "set", "qfv-10", "master", "qfb-web", "up");
        }
        listen(guestNs("web-01"), "7000");
        listen(guestNs("web-02"), "7000");
    }

    private void buildHost(String host, Realization r) throws IOException {
        RealizedNamespaces.build(r, hostNs(host), this::guestNs, this::addNamespace, false);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        RealizedNamespaces.tearDown(listeners, namespaces);
    }

    @Test
    void vmsOfAGroupReachEachOtherAcrossTheTrunkThroughBothHostsFirewalls() {
        assertThat(probe("web-01", "10.10.0.12", 7000)).as("web-01 (hv1) -> web-02 (hv2)").isTrue();
        assertThat(probe("web-02", "10.10.0.11", 7000)).as("web-02 (hv2) -> web-01 (hv1)").isTrue();
        assertThat(counter("hv1", "drop_trunk_mac") + counter("hv1", "drop_trunk_ipv4") + counter("hv1", "drop_trunk_arp")).isZero();
    }

    /**
     * hv2 is compromised (its firewall flushed), and its VM web-02 sends with another MAC: hv1 does not trust the
     * trunk and drops it, though the address is web-02's own.
     */
    @Test
    void aRemoteVmsAddressWithAnotherMacIsDroppedAtTheTrunk() {
        Witness.inNetns(hostNs("hv2"), "nft", "flush", "ruleset");
        Witness.inNetns(guestNs("web-02"), "ip", "link", "set", "eth0", "address", "02:00:00:00:99:99");
        assertThat(probe("web-02", "10.10.0.11", 7000)).as("web-02's address from a foreign MAC").isFalse();
        assertThat(counter("hv1", "drop_trunk_mac")).isPositive();
    }

    /** With its own MAC, but another address (here a free one of the subnet): dropped at the trunk too. */
    @Test
    void anAddressThatIsNotTheRemoteVmsOwnIsDroppedAtTheTrunk() {
        Witness.inNetns(hostNs("hv2"), "nft", "flush", "ruleset");
        Witness.inNetns(guestNs("web-02"), "ip", "addr", "add", "10.10.0.99/32", "dev", "eth0");
        assertThat(probe("web-02", "10.10.0.11", 7000, "10.10.0.99")).as("web-02 posing as 10.10.0.99").isFalse();
        assertThat(counter("hv1", "drop_trunk_ipv4") + counter("hv1", "drop_trunk_arp")).isPositive();
        // The posing probe can leave web-02's neighbour entry for 10.10.0.11 incomplete, the kernel soliciting it
        // with the queued SYN's source, 10.10.0.99, which the trunk drops (1 run in 5 failed here without this; 0 in 6 with it).
        Witness.inNetns(guestNs("web-02"), "ip", "addr", "del", "10.10.0.99/32", "dev", "eth0");
        Witness.inNetns(guestNs("web-02"), "ip", "neigh", "flush", "dev", "eth0");
        assertThat(probe("web-02", "10.10.0.11", 7000)).as("its own address still passes").isTrue();
    }

    private boolean probe(String fromVm, String address, int port) {
        return probe(fromVm, address, port, null);
    }

    private boolean probe(String fromVm, String address, int port, String sourceAddress) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", guestNs(fromVm), "/usr/bin/python3", "-c",
                PacketEndpoints.PROBE_TCP, address, Integer.toString(port)));
        if (sourceAddress != null) {
            cmd.add(sourceAddress);
        }
        return Witness.tryRun(cmd.toArray(String[]::new)).exitCode() == 0;
    }

    private long counter(String host, String name) {
        String json = Witness.inNetns(hostNs(host), "nft", "-j", "list", "counter", "bridge", "qfence", name);
        for (var o : RealizationJson.parse(json).get("nftables")) {
            if (o.has("counter")) {
                return o.get("counter").get("packets").asLong();
            }
        }
        throw new AssertionError("no counter " + name);
    }

    private String hostNs(String host) {
        return "qfence-test-" + id + "-" + host;
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
