package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.Sysctl;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.PacketEndpoints;
import io.qfence.testing.Witness;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
        String ns = hostNs(host);
        addNamespace(ns);
        Witness.inNetns(ns, "ip", "link", "set", "lo", "up");
        for (Sysctl s : r.objects(Sysctl.class)) {
            Witness.inNetns(ns, "sysctl", "-q", "-w", s.key() + "=" + s.value());
        }
        for (Link l : r.objects(Link.class)) {
            if (l.kind() != LinkKind.BRIDGE) {
                continue;
            }
            Witness.inNetns(ns, "ip", "link", "add", l.name(), "address", l.mac().orElseThrow().toString(), "type", "bridge");
            for (String a : l.addresses()) {
                Witness.inNetns(ns, "ip", "addr", "add", a, "dev", l.name());
            }
            Witness.inNetns(ns, "ip", "link", "set", l.name(), "up");
        }
        for (VmEndpoint vm : r.policy().vms().stream().filter(VmEndpoint::bridged).toList()) {
            String guest = guestNs(vm.name());
            addNamespace(guest);
            String tap = vm.tap().orElseThrow();
            Witness.inNetns(ns, "ip", "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", guest);
            Witness.inNetns(ns, "ip", "link", "set", tap, "master", r.policy().network(vm.group()).orElseThrow().bridge(), "up");
            Witness.inNetns(guest, "ip", "link", "set", "eth0", "address", vm.mac().toString());
            Witness.inNetns(guest, "ip", "addr", "add", vm.ip().orElseThrow() + "/24", "dev", "eth0");
            Witness.inNetns(guest, "ip", "link", "set", "eth0", "up");
            Witness.inNetns(guest, "ip", "link", "set", "lo", "up");
        }
        Path batch = Files.createTempFile("qfence-trunk-", ".json");
        try {
            Files.writeString(batch, NftJson.batch(r.firewall()), StandardCharsets.UTF_8);
            Witness.inNetns(ns, "nft", "-j", "-f", batch.toString());
        } finally {
            Files.delete(batch);
        }
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Process p : listeners) {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            Witness.tryRun("ip", "netns", "del", namespaces.get(i));
        }
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
        return "qf-wt7-" + id + "-" + host;
    }

    private String guestNs(String vm) {
        return "qf-wt7-" + id + "-" + vm.replace("-", "");
    }

    private void addNamespace(String ns) {
        Witness.run("ip", "netns", "add", ns);
        namespaces.add(ns);
    }

    private void listen(String ns, String... ports) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PacketEndpoints.LISTEN_TCP));
        cmd.addAll(List.of(ports));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        listeners.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("listener in %s", ns).isEqualTo("ready");
    }
}
