package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.model.InterfaceNames;
import io.qfence.testing.ProductionKernel;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The 802.1Q uplink on a production kernel (issue 14; runs in the production-kernel lab, whose Debian kernel has
 * {@code CONFIG_VLAN_8021Q=m}). The bundled desired state with {@code uplink} set is applied through the real CLI
 * ({@code --scope network}) into a namespace of this test's own; its uplink is a veth whose far end sits in a second
 * namespace standing in for the physical switch. Witnesses: {@code ip -d -j link} in the managed namespace, and
 * {@code tcpdump -e} on the switch's port for the tag a frame from a group's bridge carries.
 */
@ProductionKernel
@RequiresHost(tools = {"ip", "tcpdump", "modprobe", "busybox"})
class VlanUplinkLabTest {

    static final Map<String, Integer> VLANS = Map.of("web", 10, "db", 20, "ci", 30);
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final String managed = "qfence-lab-" + id;
    private final String managedSwitch = "qfence-lab-sw-" + id;
    private final String guest = "qfence-lab-g-" + id;
    private Path desired;
    private Path stateDir;

    @BeforeEach
    void namespacesAndAnUplink() throws IOException {
        desired = Files.createTempDirectory("qfence-lab-desired");
        stateDir = Files.createTempDirectory("qfence-lab-state");
        CgroupV2LabTest.copyTree(Path.of("desired-state"), desired);
        Path host = desired.resolve("hosts/hv1.yaml");
        String yaml = Files.readString(host);
        assertThat(yaml).contains("  # uplink: eno1\n");
        Files.writeString(host, yaml.replace("  # uplink: eno1\n", "  uplink: uplink0\n"));
        for (String ns : List.of(managed, managedSwitch, guest)) {
            Witness.run("ip", "netns", "add", ns);
            Witness.run("ip", "-n", ns, "link", "set", "lo", "up");
        }
        Witness.run("ip", "-n", managed, "link", "add", "uplink0", "type", "veth", "peer", "name", "sw0", "netns", managedSwitch);
        Witness.run("ip", "-n", managed, "link", "set", "uplink0", "up");
        Witness.run("ip", "-n", managedSwitch, "link", "set", "sw0", "up");
        // realization refuses bridged VMs without br_netfilter, which Debian builds as a module nothing loads
        Witness.run("modprobe", "br_netfilter");
    }

    @AfterEach
    void removeAll() throws IOException {
        for (String ns : List.of(guest, managedSwitch, managed)) {
            Witness.tryRun("ip", "netns", "del", ns);
        }
        CgroupV2LabTest.deleteTree(desired);
        CgroupV2LabTest.deleteTree(stateDir);
    }

    @Test
    void eachGroupGetsItsVlanSubInterfaceOnTheUplinkEnslavedToItsBridgeAndFramesLeaveTaggedWithItsId() throws Exception {
        CliRun apply = cli("apply", "--auto-approve");
        assertThat(apply.exitCode()).as("apply:\n%s\n%s", apply.out(), apply.err()).isZero();

        JsonNode links = new ObjectMapper().readTree(Witness.run("ip", "-n", managed, "-d", "-j", "link", "show"));
        Map<String, Integer> indexes = new java.util.HashMap<>();
        links.forEach(l -> indexes.put(l.path("ifname").asText(), l.path("ifindex").asInt()));
        VLANS.forEach((group, vlan) -> {
            JsonNode link = find(links, InterfaceNames.vlan(vlan));
            assertThat(link).as("link %s", InterfaceNames.vlan(vlan)).isNotNull();
            assertThat(link.path("linkinfo").path("info_kind").asText()).isEqualTo("vlan");
            assertThat(link.path("linkinfo").path("info_data").path("id").asInt()).isEqualTo(vlan);
            assertThat(link.path("linkinfo").path("info_data").path("protocol").asText()).isEqualTo("802.1Q");
            assertThat(link.path("link").asText()).isEqualTo("uplink0");
            assertThat(link.path("master").asText()).isEqualTo(InterfaceNames.bridge(group));
            assertThat(link.path("operstate").asText()).isNotEqualTo("DOWN");
        });
        CliRun plan = cli("plan");
        assertThat(plan.exitCode()).as("plan after apply:\n%s\n%s", plan.out(), plan.err()).isZero();

        // A stand-in guest port on web's bridge broadcasts an ARP request; the switch must see it tagged 10 only.
        String bridge = InterfaceNames.bridge("web");
        Witness.run("ip", "-n", managed, "link", "add", "qflab-g0", "type", "veth", "peer", "name", "eth0", "netns", guest);
        Witness.run("ip", "-n", managed, "link", "set", "qflab-g0", "master", bridge, "up");
        Witness.run("ip", "-n", guest, "link", "set", "eth0", "up");
        Witness.run("ip", "-n", guest, "addr", "add", "10.10.0.250/24", "dev", "eth0");
        Process capture = new ProcessBuilder("ip", "netns", "exec", managedSwitch, "tcpdump", "-l", "-n", "-e", "-i", "sw0",
                "-c", "3", "arp or (vlan and arp)").redirectErrorStream(false).start();
        Thread.sleep(2000); // tcpdump needs a moment to attach; nothing else signals it
        for (int i = 0; i < 3; i++) {
            // busybox's applets: the lab image has no iputils
            Witness.tryRun("ip", "netns", "exec", guest, "busybox", "arping", "-c", "1", "-w", "1", "-I", "eth0", "10.10.0.1");
            Witness.tryRun("ip", "netns", "exec", guest, "busybox", "ping", "-c", "1", "-W", "1", "10.10.0.99");
        }
        boolean done = capture.waitFor(30, TimeUnit.SECONDS);
        if (!done) {
            capture.destroyForcibly();
        }
        String frames = new String(capture.getInputStream().readAllBytes());
        System.out.println("MEASURE lab vlan capture:\n" + frames);
        List<String> arp = new ArrayList<>(frames.lines().filter(l -> l.contains("ARP")).toList());
        assertThat(arp).as("ARP frames on the switch port").isNotEmpty();
        assertThat(arp).allMatch(l -> l.contains("vlan 10,"), "tagged with web's VLAN 10 and no other");

        // Inbound: the switch sends broadcasts tagged 20 (db) and 10 (web); web's port sees only the second.
        for (int vlan : List.of(10, 20)) {
            String dev = "sw0." + vlan;
            Witness.run("ip", "-n", managedSwitch, "link", "add", "link", "sw0", "name", dev, "type", "vlan", "id", Integer.toString(vlan));
            Witness.run("ip", "-n", managedSwitch, "addr", "add", "10." + vlan + ".0.251/24", "dev", dev);
            Witness.run("ip", "-n", managedSwitch, "link", "set", dev, "up");
        }
        Process inbound = new ProcessBuilder("ip", "netns", "exec", guest, "timeout", "20", "tcpdump", "-l", "-n", "-i", "eth0", "arp")
                .start();
        Thread.sleep(2000); // as above: tcpdump attaches
        for (int i = 0; i < 3; i++) {
            Witness.tryRun("ip", "netns", "exec", managedSwitch, "busybox", "arping", "-c", "1", "-w", "1", "-I", "sw0.20", "10.20.0.77");
            Witness.tryRun("ip", "netns", "exec", managedSwitch, "busybox", "arping", "-c", "1", "-w", "1", "-I", "sw0.10", "10.10.0.77");
        }
        inbound.waitFor(40, TimeUnit.SECONDS);
        String seen = new String(inbound.getInputStream().readAllBytes());
        System.out.println("MEASURE lab vlan inbound on web's port:\n" + seen);
        assertThat(seen).as("web's VLAN 10 reaches web's port").contains("tell 10.10.0.251");
        assertThat(seen).as("db's VLAN 20 never reaches web's port").doesNotContain("10.20.0.");
    }

    /**
     * NAT egress with an uplink. The design (DESIGN.md §4, "VLANs"): a group's VLAN sub-interface is a port of its
     * bridge, so the group's own layer 2 is trunked tagged with its id; but an egress {@code nat} flow is routed by
     * the host (the group's gateway is the bridge) and masqueraded behind the host's address, and that address lives
     * on the uplink itself, the untagged (native) side. So the packet leaves the uplink untagged, with the uplink's
     * address as its source; never tagged with the group's id and never with the guest's own address. The host's
     * route to the outside is the operator's (qfence owns no host route): here a default route via the "switch".
     */
    @Test
    void natEgressLeavesTheUplinkUntaggedWithTheUplinksAddressAsItsSource() throws Exception {
        Witness.run("ip", "-n", managed, "addr", "add", "192.0.2.1/24", "dev", "uplink0");
        Witness.run("ip", "-n", managed, "route", "add", "default", "via", "192.0.2.2");
        Witness.run("ip", "-n", managedSwitch, "addr", "add", "192.0.2.2/24", "dev", "sw0");
        Witness.run("ip", "-n", managedSwitch, "addr", "add", "198.51.100.7/32", "dev", "lo"); // the outside address
        // the firewall too: the masquerade and the forward policy that lets web's egress out are nft rules
        CliRun apply = cliIn("network,firewall", "apply", "--auto-approve");
        assertThat(apply.exitCode()).as("apply:\n%s\n%s", apply.out(), apply.err()).isZero();

        // a stand-in guest on web's bridge (web: egress nat), its default route through web's gateway
        String bridge = InterfaceNames.bridge("web");
        Witness.run("ip", "-n", managed, "link", "add", "qflab-g0", "type", "veth", "peer", "name", "eth0", "netns", guest);
        Witness.run("ip", "-n", managed, "link", "set", "qflab-g0", "master", bridge, "up");
        Witness.run("ip", "-n", guest, "link", "set", "eth0", "up");
        Witness.run("ip", "-n", guest, "addr", "add", "10.10.0.250/24", "dev", "eth0");
        Witness.run("ip", "-n", guest, "route", "add", "default", "via", "10.10.0.1");
        Process capture = new ProcessBuilder("ip", "netns", "exec", managedSwitch, "timeout", "30", "tcpdump", "-l", "-n", "-e", "-i", "sw0",
                "icmp or (vlan and icmp)").start();
        Thread.sleep(2000); // tcpdump needs a moment to attach; nothing else signals it
        boolean answered = false;
        for (int i = 0; i < 3 && !answered; i++) {
            answered = Witness.tryRun("ip", "netns", "exec", guest, "busybox", "ping", "-c", "1", "-W", "2", "198.51.100.7").exitCode() == 0;
        }
        capture.waitFor(40, TimeUnit.SECONDS);
        String frames = new String(capture.getInputStream().readAllBytes());
        System.out.println("MEASURE lab nat egress capture:\n" + frames);
        List<String> requests = frames.lines().filter(l -> l.contains("> 198.51.100.7: ICMP echo request")).toList();
        assertThat(requests).as("the echo requests on the switch port").isNotEmpty();
        assertThat(requests).as("untagged, from the uplink's address (masqueraded)")
                .allMatch(l -> !l.contains("vlan ") && l.contains("192.0.2.1 > 198.51.100.7"));
        assertThat(frames).as("the guest's own address never reaches the switch").doesNotContain("10.10.0.250");
        assertThat(answered).as("the reply comes back through the uplink and is un-NATed to the guest").isTrue();
    }

    private static JsonNode find(JsonNode links, String name) {
        for (JsonNode l : links) {
            if (l.path("ifname").asText().equals(name)) {
                return l;
            }
        }
        return null;
    }

    private CliRun cli(String command, String... more) {
        return cliIn("network", command, more);
    }

    /** The real CLI against the managed namespace, for the parts of the host in {@code scope}. */
    private CliRun cliIn(String scope, String command, String... more) {
        List<String> args = new ArrayList<>(List.of(command, "--scope", scope, "--netns", managed,
                "--state-dir", stateDir.toString(), "--dir", desired.toString()));
        args.addAll(List.of(more));
        return CliRun.live(args.toArray(String[]::new));
    }
}
