package io.qfence.realize;

import io.qfence.model.Cidr;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.MacAddress;
import io.qfence.model.desired.NetworkMode;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The effective isolation policy of one host: every allowed flow after expiry, intra-group policy, exceptions,
 * bastion exposure and egress, plus the facts needed to enforce it. Everything not in {@link #flows()} is denied.
 * The nft ruleset is compiled from this object alone ({@code FirewallCompiler}), so the policy that reviewers read
 * and the firewall the kernel runs cannot disagree.
 *
 * @param flows           sorted, without duplicates
 * @param vms             every VM of the host, sorted by name
 * @param networks        every group of the host, sorted by name
 * @param qfenceNetworks  the subnets of every group of the desired state (not just this host's), which
 *                        {@link Principal.Internet} excludes; sorted, nested blocks folded into the enclosing one
 * @param remoteVms       the bridged VMs of this host's groups that run on other hosts (DESIGN.md §20): they share the
 *                        group's layer 2 over the uplink's VLAN, so this host's firewall polices their traffic to and
 *                        from its own VMs, and its trunk accepts their address only with their MAC on their VLAN;
 *                        sorted by name, empty on a single host
 * @param trunks          the VLAN ports of this host's groups that span hosts, sorted by group; empty on a single host
 */
public record IsolationPolicy(List<Flow> flows, List<VmEndpoint> vms, List<Network> networks, List<Cidr> qfenceNetworks,
        List<RemoteVm> remoteVms, List<Trunk> trunks) {

    /** A policy with every VM on this host. */
    public IsolationPolicy(List<Flow> flows, List<VmEndpoint> vms, List<Network> networks, List<Cidr> qfenceNetworks) {
        this(flows, vms, networks, qfenceNetworks, List.of(), List.of());
    }

    public IsolationPolicy {
        flows = flows.stream().distinct().sorted().toList();
        vms = vms.stream().sorted(Comparator.comparing(VmEndpoint::name)).toList();
        networks = networks.stream().sorted(Comparator.comparing(Network::group)).toList();
        qfenceNetworks = List.copyOf(qfenceNetworks);
        remoteVms = remoteVms.stream().sorted(Comparator.comparing(RemoteVm::name)).toList();
        trunks = trunks.stream().sorted(Comparator.comparing(Trunk::group)).toList();
    }

    /**
     * A bridged VM of one of this host's groups that runs on another host, seen through the trunk.
     *
     * @param host  where it runs
     * @param trunk the VLAN port of its group on this host ({@code qfv-VLAN}), the only port its frames may come from
     */
    public record RemoteVm(String name, String group, String host, Ipv4Address ip, MacAddress mac, String trunk) {

        public RemoteVm {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(ip, "ip");
            Objects.requireNonNull(mac, "mac");
            Objects.requireNonNull(trunk, "trunk");
        }

        public Principal.SingleVm principal() {
            return new Principal.SingleVm(name, group);
        }
    }

    public Optional<RemoteVm> remoteVm(String name) {
        return remoteVms.stream().filter(v -> v.name().equals(name)).findFirst();
    }

    /** The address of a bridged VM, local or remote; empty for a user-mode VM or an unknown name. */
    public Optional<Ipv4Address> addressOf(String vmName) {
        Optional<VmEndpoint> local = vm(vmName);
        if (local.isPresent()) {
            return local.get().ip();
        }
        return remoteVm(vmName).map(RemoteVm::ip);
    }

    /** Whether a VM is bridged: every remote VM is, since only bridged VMs share a group's layer 2 across hosts. */
    public boolean isBridged(String vmName) {
        return vm(vmName).map(VmEndpoint::bridged).orElse(remoteVm(vmName).isPresent());
    }

    /** What enforcement needs to know about a VM: where its traffic appears and under which uid. */
    public record VmEndpoint(String name, String group, NetworkMode network, Optional<Ipv4Address> ip, MacAddress mac,
            long uid, Optional<String> tap) {

        public VmEndpoint {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(network, "network");
            Objects.requireNonNull(ip, "ip");
            Objects.requireNonNull(mac, "mac");
            Objects.requireNonNull(tap, "tap");
            if ((network == NetworkMode.BRIDGED) != (ip.isPresent() && tap.isPresent())) {
                throw new IllegalArgumentException("vm " + name + ": a bridged VM has an address and a tap, a user-mode VM neither");
            }
        }

        public boolean bridged() {
            return network == NetworkMode.BRIDGED;
        }

        public Principal.SingleVm principal() {
            return new Principal.SingleVm(name, group);
        }
    }

    /**
     * A group's network on this host.
     *
     * @param routed        whether the bridge carries gateway addresses: some flow crosses layer 3 to or from the group
     * @param isolatedPorts whether the group's taps are isolated bridge ports: intra-group traffic is denied and no
     *                      exception allows any of it, so the bridge itself refuses to forward between the VMs
     *                      (defence in depth beneath the firewall)
     */
    public record Network(String group, String bridge, Ipv4Cidr subnet, Optional<Ipv6Cidr> subnet6, boolean routed,
            boolean isolatedPorts) {

        public Network {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(bridge, "bridge");
            Objects.requireNonNull(subnet, "subnet");
            Objects.requireNonNull(subnet6, "subnet6");
        }
    }

    /**
     * The VLAN port ({@code qfv-VLAN}) of one of this host's groups that spans hosts: its frames come from other
     * hosts and are checked against the group's remote VMs (DESIGN.md §20).
     */
    public record Trunk(String group, String port) {

        public Trunk {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(port, "port");
        }
    }

    /** The trunk port of a group, when it spans hosts. */
    public Optional<String> trunkOf(String group) {
        return trunks.stream().filter(t -> t.group().equals(group)).map(Trunk::port).findFirst();
    }

    public Optional<VmEndpoint> vm(String name) {
        return vms.stream().filter(v -> v.name().equals(name)).findFirst();
    }

    public Optional<Network> network(String group) {
        return networks.stream().filter(n -> n.group().equals(group)).findFirst();
    }

    /** The bridged VMs of a group, i.e. the members of {@link Principal.BridgedGroup}. */
    public List<VmEndpoint> bridgedMembers(String group) {
        return vms.stream().filter(v -> v.group().equals(group) && v.bridged()).toList();
    }

    /**
     * The flows that allow {@code source} to open a connection to {@code destination} with {@code protocol} on
     * {@code port} (ignored for ICMP), in policy order: the "why" behind {@link ReachabilityRelation#allows}, asked
     * with concrete principals the same way (a VM, the host, the internet, a single address or prefix, an outside
     * source; a group covers its bridged VMs, the internet every prefix outside the qfence networks).
     */
    public List<Flow> flowsAllowing(Principal source, Principal destination, FlowProtocol protocol, int port) {
        if (protocol == FlowProtocol.ANY) {
            throw new IllegalArgumentException("ask about a concrete protocol: tcp, udp or icmp");
        }
        return flows.stream().filter(f -> covers(f, f.source(), source) && covers(f, f.destination(), destination)
                && (f.protocol() == FlowProtocol.ANY || (f.protocol() == protocol && (!protocol.hasPorts() || f.ports().contains(port)))))
                .toList();
    }

    /** The flows between two concrete principals, whatever their protocol and ports, in policy order. */
    public List<Flow> flowsBetween(Principal source, Principal destination) {
        return flows.stream().filter(f -> covers(f, f.source(), source) && covers(f, f.destination(), destination)).toList();
    }

    private boolean covers(Flow f, Principal flowSide, Principal concrete) {
        if (flowSide.equals(concrete)) {
            return true;
        }
        if (flowSide instanceof Principal.BridgedGroup g && concrete instanceof Principal.SingleVm v) {
            // a VM of another host is behind the group's bridge only for flows within the group (its VLAN)
            return v.group().equals(g.name()) && (vm(v.name()).map(VmEndpoint::bridged).orElse(false)
                    || (remoteVm(v.name()).isPresent() && Reachability.withinOneGroup(this, f)));
        }
        if (concrete instanceof Principal.Prefix p) {
            if (flowSide instanceof Principal.Internet) {
                return !isQfenceAddress(p.cidr());
            }
            return flowSide instanceof Principal.Prefix fp && encloses(fp.cidr(), p.cidr());
        }
        return concrete instanceof Principal.Outside o && flowSide instanceof Principal.Outside fo && encloses(fo.cidr(), o.cidr());
    }

    /** True when the address lies in a qfence network, and hence is never "internet". */
    public boolean isQfenceAddress(Cidr block) {
        return qfenceNetworks.stream().anyMatch(n -> overlaps(n, block));
    }

    static boolean overlaps(Cidr a, Cidr b) {
        if (a instanceof Ipv4Cidr a4 && b instanceof Ipv4Cidr b4) {
            return a4.overlaps(b4);
        }
        if (a instanceof Ipv6Cidr a6 && b instanceof Ipv6Cidr b6) {
            return a6.overlaps(b6);
        }
        return false;
    }

    /** True when {@code inner} lies entirely inside {@code outer} (same family). */
    static boolean encloses(Cidr outer, Cidr inner) {
        return overlaps(outer, inner) && outer.prefixLength() <= inner.prefixLength();
    }
}
