package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Cidr;
import io.qfence.model.host.Link;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import io.qfence.realize.Principal;
import io.qfence.realize.Reachability;
import io.qfence.realize.ReachabilityRelation;
import io.qfence.realize.Realization;
import io.qfence.testing.PacketEndpoints;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real packets through the firewall {@code qfence apply} put in place for the bundled desired state. Each bridged
 * VM's tap is replaced by a veth of the same name, enslaved to its group's bridge with the realized port flags,
 * whose other end sits in a namespace of its own with the VM's MAC and address (for the firewall, a port is a port; a
 * tap would need QEMU). An "outside" namespace behind a plain veth stands in for the internet, a prefix and an exposed
 * bastion's clients. Every probe's outcome must equal what the reachability relation of the realization says, and
 * the expectations written here must agree with it too.
 */
@RequiresHost(tools = {"ip", "nft", "busybox"}, files = {"/usr/bin/python3"}, cgroups = true)
class LiveTrafficTest {

    private final String id = UUID.randomUUID().toString().substring(0, 6);
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> listeners = new ArrayList<>();
    private LiveSandbox host;
    private Realization realization;
    private ReachabilityRelation relation;

    @BeforeEach
    void applyAndWireEndpoints() throws IOException {
        host = LiveSandbox.create();
        CliRun apply = host.cli("apply", "--auto-approve");
        assertThat(apply.exitCode()).as(apply.err()).isZero();
        realization = host.realization();
        relation = Reachability.of(realization);

        for (VmEndpoint vm : realization.policy().vms().stream().filter(VmEndpoint::bridged).toList()) {
            String ns = guestNs(vm.name());
            addNamespace(ns);
            Link tap = realization.objects(Link.class).stream().filter(l -> l.name().equals(vm.tap().orElseThrow())).findFirst().orElseThrow();
            var flags = tap.portFlags().orElseThrow();
            host.witness("ip", "link", "del", tap.name());
            host.witness("ip", "link", "add", tap.name(), "type", "veth", "peer", "name", "eth0", "netns", ns);
            host.witness("ip", "link", "set", tap.name(), "master", tap.master().orElseThrow());
            host.witness("ip", "link", "set", tap.name(), "type", "bridge_slave", "isolated", onOff(flags.isolated()),
                    "learning", onOff(flags.learning()), "neigh_suppress", onOff(flags.neighSuppress()));
            host.witness("ip", "link", "set", tap.name(), "up");
            var network = realization.policy().network(vm.group()).orElseThrow();
            Witness.inNetns(ns, "ip", "link", "set", "eth0", "address", vm.mac().toString());
            Witness.inNetns(ns, "ip", "addr", "add", vm.ip().orElseThrow() + "/" + network.subnet().prefixLength(), "dev", "eth0");
            Witness.inNetns(ns, "ip", "link", "set", "eth0", "up");
            Witness.inNetns(ns, "ip", "link", "set", "lo", "up");
            Witness.inNetns(ns, "ip", "route", "add", "default", "via", network.subnet().gateway().toString());
        }
        // the outside: the internet (198.18.0.1), a prefix of an exception (203.0.113.5) and a client the web bastion is
        // exposed to (198.51.100.7), behind a plain veth that is not qfence's
        String outside = "qfence-test-" + id + "-out";
        addNamespace(outside);
        host.witness("ip", "link", "add", "up0", "type", "veth", "peer", "name", "eth0", "netns", outside);
        host.witness("ip", "addr", "add", "192.0.2.1/24", "dev", "up0");
        host.witness("ip", "link", "set", "up0", "up");
        host.witness("ip", "link", "set", "lo", "up");
        host.witness("ip", "route", "add", "default", "via", "192.0.2.2");
        Witness.inNetns(outside, "ip", "addr", "add", "192.0.2.2/24", "dev", "eth0");
        for (String a : List.of("198.18.0.1/32", "203.0.113.5/32", "198.51.100.7/32")) {
            Witness.inNetns(outside, "ip", "addr", "add", a, "dev", "eth0");
        }
        Witness.inNetns(outside, "ip", "link", "set", "eth0", "up");
        Witness.inNetns(outside, "ip", "link", "set", "lo", "up");
        Witness.inNetns(outside, "ip", "route", "add", "10.0.0.0/8", "via", "192.0.2.1");

        for (String vm : List.of("web-bastion", "web-app-1", "web-app-2", "db-bastion", "db-main", "db-replica", "ci-bastion", "ci-builder")) {
            listen(guestNs(vm), PacketEndpoints.LISTEN_TCP, "22", "5432", "8080");
        }
        listen(host.name, PacketEndpoints.LISTEN_TCP, "22");
        listen(host.name, PacketEndpoints.ECHO_UDP, "53");
        listen(outside, PacketEndpoints.LISTEN_TCP, "22", "80", "8000", "9000");
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
        host.close();
    }

    @AfterAll
    static void nothingIsLeft() {
        LiveSandbox.assertNothingLeft();
    }

    @Test
    void everyPolicyDecisionHoldsOnRealPackets() {
        // intra-group: web allows it, db denies it except its own exceptions
        tcp("web-app-1", "10.10.0.12", 8080, vm("web-app-2"), true);
        tcp("web-bastion", "10.10.0.11", 8080, vm("web-app-1"), true);
        tcp("db-replica", "10.20.0.11", 5432, vm("db-main"), false);
        tcp("db-main", "10.20.0.12", 8080, vm("db-replica"), false);
        // exceptions: VM to VM inside a group, one way only
        tcp("db-main", "10.20.0.12", 5432, vm("db-replica"), true);
        // VM to its group
        tcp("db-bastion", "10.20.0.11", 22, vm("db-main"), true);
        tcp("db-bastion", "10.20.0.12", 22, vm("db-replica"), true);
        // group to a VM of another group, routed
        tcp("web-app-2", "10.20.0.11", 5432, vm("db-main"), true);
        tcp("web-bastion", "10.20.0.11", 5432, vm("db-main"), true);
        // an expired exception opens nothing
        tcp("web-app-2", "10.20.0.12", 5432, vm("db-replica"), false);
        // VM to a VM of another group, only the one named
        tcp("ci-bastion", "10.10.0.10", 22, vm("web-bastion"), true);
        tcp("ci-builder", "10.10.0.10", 22, vm("web-bastion"), false);
        // groups are isolated otherwise
        tcp("ci-builder", "10.10.0.11", 8080, vm("web-app-1"), false);
        tcp("db-main", "10.10.0.11", 8080, vm("web-app-1"), false);
        tcp("web-app-1", "10.20.0.11", 22, vm("db-main"), false);
        tcp("web-app-1", "10.30.0.11", 8080, vm("ci-builder"), false);
        // ICMP: the group's health checks reach its bastion, nothing else does
        ping("db-main", "10.20.0.10", vm("db-bastion"), true);
        ping("db-bastion", "10.20.0.11", vm("db-main"), false);
        ping("web-app-1", "10.20.0.10", vm("db-bastion"), false);
        // the host: one VM's DNS, nothing else
        udp("web-app-1", "10.10.0.1", 53, Principal.HOST, true);
        udp("web-app-2", "10.10.0.1", 53, Principal.HOST, false);
        tcp("web-app-2", "10.10.0.1", 22, Principal.HOST, false);
        tcp("db-main", "10.20.0.1", 22, Principal.HOST, false);
        tcp("ci-bastion", "192.0.2.1", 22, Principal.HOST, false);
        // the internet and a prefix, on the allowed ports only
        tcp("ci-builder", "198.18.0.1", 80, Principal.address("198.18.0.1"), true);
        tcp("ci-builder", "198.18.0.1", 22, Principal.address("198.18.0.1"), false);
        tcp("ci-builder", "203.0.113.5", 8000, Principal.address("203.0.113.5"), true);
        tcp("ci-builder", "203.0.113.5", 9000, Principal.address("203.0.113.5"), false);
        tcp("db-main", "198.18.0.1", 80, Principal.address("198.18.0.1"), false);
        // the web bastion's exposure: from its allowed clients only
        exposed("198.51.100.7", true);
        exposed("192.0.2.2", false);
    }

    private void tcp(String from, String address, int port, Principal to, boolean reachable) {
        assertThat(relation.allows(vm(from), to, FlowProtocol.TCP, port)).as("relation: %s -> %s tcp %d", from, to, port).isEqualTo(reachable);
        assertThat(run(guestNs(from), PacketEndpoints.PROBE_TCP, address, Integer.toString(port))).as("probe: %s -> %s tcp %d", from, address, port)
                .isEqualTo(reachable);
    }

    private void udp(String from, String address, int port, Principal to, boolean reachable) {
        assertThat(relation.allows(vm(from), to, FlowProtocol.UDP, port)).as("relation: %s -> %s udp %d", from, to, port).isEqualTo(reachable);
        assertThat(run(guestNs(from), PacketEndpoints.PROBE_UDP, address, Integer.toString(port))).as("probe: %s -> %s udp %d", from, address, port)
                .isEqualTo(reachable);
    }

    private void ping(String from, String address, Principal to, boolean reachable) {
        assertThat(relation.allows(vm(from), to, FlowProtocol.ICMP, 0)).as("relation: %s -> %s icmp", from, to).isEqualTo(reachable);
        assertThat(Witness.tryRun("ip", "netns", "exec", guestNs(from), "busybox", "ping", "-c", "1", "-W", "1", address).exitCode() == 0)
                .as("probe: %s -> %s icmp", from, address).isEqualTo(reachable);
    }

    /** A client outside connects to the host's exposed port 2222, which leads to the web bastion's port 22. */
    private void exposed(String client, boolean reachable) {
        Principal source = new Principal.Outside(Cidr.parse(client + "/32"));
        assertThat(relation.allows(source, vm("web-bastion"), FlowProtocol.TCP, 22)).as("relation: %s -> web-bastion via 2222", client)
                .isEqualTo(reachable);
        assertThat(run("qfence-test-" + id + "-out", PacketEndpoints.PROBE_TCP, "192.0.2.1", "2222", client)).as("probe: %s -> 192.0.2.1:2222", client)
                .isEqualTo(reachable);
    }

    private static boolean run(String ns, String script, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", script));
        cmd.addAll(List.of(args));
        return Witness.tryRun(cmd.toArray(String[]::new)).exitCode() == 0;
    }

    private Principal vm(String name) {
        return realization.policy().vm(name).orElseThrow().principal();
    }

    private String guestNs(String vm) {
        return "qfence-test-" + id + "-" + vm;
    }

    private void addNamespace(String ns) {
        Witness.run("ip", "netns", "add", ns);
        namespaces.add(ns);
    }

    private static String onOff(boolean on) {
        return on ? "on" : "off";
    }

    /** Starts a listener in a namespace and waits until it has bound its ports (it says so). */
    private void listen(String ns, String script, String... ports) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", script));
        cmd.addAll(List.of(ports));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        listeners.add(p);
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(line).as("listener in %s", ns).isEqualTo("ready");
    }
}
