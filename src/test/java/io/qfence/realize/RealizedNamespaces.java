package io.qfence.realize;

import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.Sysctl;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One realized host laid out in network namespaces for packet tests, without qfence's applier: the host namespace
 * with the realization's sysctls, bridges (with their MACs and addresses) and ruleset, and each bridged VM as a
 * namespace of its own whose {@code eth0} is the peer of its tap, with the VM's MAC and address. What the tests then
 * send is judged by exactly the realized ruleset.
 */
final class RealizedNamespaces {

    private RealizedNamespaces() {
    }

    /**
     * @param guestNs      the namespace name of a VM
     * @param addNamespace creates a namespace and remembers it for the test's teardown
     * @param defaultRoute whether each guest routes through its group's gateway
     */
    static void build(Realization r, String hostNs, UnaryOperator<String> guestNs, Consumer<String> addNamespace, boolean defaultRoute)
            throws IOException {
        addNamespace.accept(hostNs);
        Witness.inNetns(hostNs, "ip", "link", "set", "lo", "up");
        for (Sysctl s : r.objects(Sysctl.class)) {
            Witness.inNetns(hostNs, "sysctl", "-q", "-w", s.key() + "=" + s.value());
        }
        for (Link l : r.objects(Link.class)) {
            if (l.kind() != LinkKind.BRIDGE) {
                continue;
            }
            Witness.inNetns(hostNs, "ip", "link", "add", l.name(), "address", l.mac().orElseThrow().toString(), "type", "bridge");
            for (String a : l.addresses()) {
                Witness.inNetns(hostNs, "ip", "addr", "add", a, "dev", l.name());
            }
            Witness.inNetns(hostNs, "ip", "link", "set", l.name(), "up");
        }
        for (VmEndpoint vm : r.policy().vms().stream().filter(VmEndpoint::bridged).toList()) {
            String ns = guestNs.apply(vm.name());
            addNamespace.accept(ns);
            String tap = vm.tap().orElseThrow();
            IsolationPolicy.Network network = r.policy().network(vm.group()).orElseThrow();
            Witness.inNetns(hostNs, "ip", "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", ns);
            Witness.inNetns(hostNs, "ip", "link", "set", tap, "master", network.bridge(), "up");
            Witness.inNetns(ns, "ip", "link", "set", "eth0", "address", vm.mac().toString());
            Witness.inNetns(ns, "ip", "addr", "add", vm.ip().orElseThrow() + "/24", "dev", "eth0");
            Witness.inNetns(ns, "ip", "link", "set", "eth0", "up");
            Witness.inNetns(ns, "ip", "link", "set", "lo", "up");
            if (defaultRoute) {
                Witness.inNetns(ns, "ip", "route", "add", "default", "via", network.subnet().gateway().toString());
            }
        }
        Path batch = Files.createTempFile("qfence-traffic-", ".json");
        try {
            Files.writeString(batch, NftJson.batch(r.firewall()), StandardCharsets.UTF_8);
            Witness.inNetns(hostNs, "nft", "-j", "-f", batch.toString());
        } finally {
            Files.delete(batch);
        }
    }

    /** Ends the test's listeners and deletes its namespaces, the last made first. */
    static void tearDown(List<Process> listeners, List<String> namespaces) throws InterruptedException {
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

    /** Starts a TCP listener on {@code ports} in {@code ns}, adds it to {@code listeners} and waits until it has bound them. */
    static void listen(List<Process> listeners, String ns, String... ports) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PacketEndpoints.LISTEN_TCP));
        cmd.addAll(List.of(ports));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        listeners.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        if (!"ready".equals(out.readLine())) {
            throw new AssertionError("the listener in " + ns + " did not say ready");
        }
    }
}
