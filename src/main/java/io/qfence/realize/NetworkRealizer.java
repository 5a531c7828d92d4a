package io.qfence.realize;

import io.qfence.model.InterfaceNames;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.MacAddress;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.PortFlags;
import io.qfence.model.host.Sysctl;
import io.qfence.model.desired.Group;
import io.qfence.realize.IsolationPolicy.Network;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Links and per-namespace settings (DESIGN.md §4): a bridge per group, a tap per bridged VM, the uplink's VLAN
 * sub-interface per group when the host has an uplink, gateway addresses on routed bridges only.
 *
 * <p>MACs are pinned so they never drift: a bridge gets {@code 0a} + 5 bytes of SHA-256("qfence-bridge-mac:GROUP")
 * (otherwise Linux gives the bridge its lowest port's MAC, which changes as taps come and go); a tap's host side gets
 * the guest's MAC with the first byte {@code fe}, as libvirt does, so it is unique, locally administered, and higher
 * than any guest MAC.
 */
final class NetworkRealizer {

    static final int MTU = 1500;

    private NetworkRealizer() {}

    static List<HostObject> links(IsolationPolicy policy, List<Group> groups, Optional<String> uplink) {
        List<HostObject> links = new ArrayList<>();
        java.util.Map<String, List<VmEndpoint>> members = new java.util.HashMap<>();
        policy.vms().stream().filter(VmEndpoint::bridged).forEach(v -> members.computeIfAbsent(v.group(), k -> new ArrayList<>()).add(v));
        for (Network n : policy.networks()) {
            Group g = groups.stream().filter(x -> x.name().equals(n.group())).findFirst().orElseThrow();
            List<String> addresses = new ArrayList<>();
            if (n.routed()) {
                addresses.add(n.subnet().gateway() + "/" + n.subnet().prefixLength());
                n.subnet6().ifPresent(s6 -> addresses.add(gateway6(s6)));
            }
            links.add(new Link(Addresses.bridge(n.group()), LinkKind.BRIDGE, n.bridge(), Optional.empty(),
                    Optional.of(bridgeMac(n.group())), MTU, true, addresses, OptionalLong.empty(), OptionalLong.empty(),
                    OptionalInt.empty(), Optional.empty(), Optional.empty()));
            for (VmEndpoint v : members.getOrDefault(n.group(), List.of())) {
                links.add(new Link(Addresses.tap(n.group(), v.name()), LinkKind.TAP, v.tap().orElseThrow(), Optional.of(n.bridge()),
                        Optional.of(tapMac(v.mac())), MTU, true, List.of(), OptionalLong.of(v.uid()), OptionalLong.of(v.uid()),
                        OptionalInt.empty(), Optional.empty(), Optional.of(new PortFlags(n.isolatedPorts(), true, false))));
            }
            uplink.ifPresent(parent -> links.add(new Link(Addresses.uplinkVlan(n.group()), LinkKind.VLAN,
                    InterfaceNames.vlan(g.vlan()), Optional.of(n.bridge()), Optional.empty(), MTU, true, List.of(),
                    OptionalLong.empty(), OptionalLong.empty(), OptionalInt.of(g.vlan()), Optional.of(parent),
                    Optional.of(new PortFlags(false, true, false)))));
        }
        return links;
    }

    /**
     * The settings qfence owns in its namespace. Forwarding is host-wide (it turns the host into a router for every
     * interface, and for IPv6 it also stops the host from accepting router advertisements), so it is only claimed
     * when some flow actually crosses the forward path; flows that only reach the host, or come from it, or from
     * user-mode VMs, need none.
     */
    static List<HostObject> sysctls(IsolationPolicy policy) {
        List<HostObject> s = new ArrayList<>();
        java.util.Map<String, Boolean> bridgedByName = new java.util.HashMap<>();
        policy.vms().forEach(v -> bridgedByName.put(v.name(), v.bridged()));
        policy.remoteVms().forEach(v -> bridgedByName.put(v.name(), true));
        boolean forwarded = policy.flows().stream().anyMatch(f -> isForwarded(bridgedByName, f));
        if (forwarded) {
            s.add(Sysctl.of("net.ipv4.ip_forward", "1"));
            boolean v6 = policy.networks().stream().anyMatch(n -> n.routed() && n.subnet6().isPresent());
            if (v6) {
                s.add(Sysctl.of("net.ipv6.conf.all.forwarding", "1"));
            }
        }
        if (policy.vms().stream().anyMatch(VmEndpoint::bridged)) {
            // Without these, traffic between VMs of one group is bridged past the inet forward chain unfiltered.
            s.add(Sysctl.of("net.bridge.bridge-nf-call-iptables", "1"));
            s.add(Sysctl.of("net.bridge.bridge-nf-call-ip6tables", "1"));
        }
        return s;
    }

    /** True when the flow's packets are routed by the host between two interfaces (not bridged, not local). */
    static boolean isForwarded(java.util.Map<String, Boolean> bridgedByName, Flow f) {
        Principal s = f.source();
        Principal d = f.destination();
        if (s instanceof Principal.ThisHost || d instanceof Principal.ThisHost) {
            return false;
        }
        if (s instanceof Principal.SingleVm v && !bridgedByName.get(v.name())) {
            return false;
        }
        String from = s instanceof Principal.BridgedGroup g ? g.name() : s instanceof Principal.SingleVm v ? v.group() : null;
        String to = d instanceof Principal.BridgedGroup g ? g.name() : d instanceof Principal.SingleVm v ? v.group() : null;
        return from == null || !from.equals(to);
    }

    static String gateway6(Ipv6Cidr subnet6) {
        return subnet6.network().plus(1) + "/" + subnet6.prefixLength();
    }

    static MacAddress bridgeMac(String group) {
        long bits = 0x0a;
        byte[] d = Hashing.sha256("qfence-bridge-mac:" + group);
        for (int i = 0; i < 5; i++) {
            bits = (bits << 8) | (d[i] & 0xff);
        }
        return new MacAddress(bits);
    }

    static MacAddress tapMac(MacAddress guest) {
        return new MacAddress((0xfeL << 40) | (guest.bits() & 0xff_ffff_ffffL));
    }
}
