package io.qfence.realize;

import io.qfence.model.Cidr;
import io.qfence.model.Diagnostic;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Endpoint;
import io.qfence.model.desired.Exposure;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.IntraGroup;
import io.qfence.realize.IsolationPolicy.Network;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns one host's groups into its {@link IsolationPolicy}: the intra-group policy, egress, bastion exposure and
 * every active exception, resolved to principals of this host.
 *
 * <p>Expired exceptions get no flow (fail closed) and no warning here: loading the desired state warns about each one
 * at its {@code expires} date, which {@code validate} shows and every command that realizes prints, for directories
 * and Git revisions alike; warning here too would say it twice.
 *
 * <p>Across hosts (DESIGN.md §20): a VM of one of this host's groups that runs on another host is a {@link
 * IsolationPolicy.RemoteVm}; flows between it and this host's VMs of the same group cross the group's VLAN (layer 2)
 * and are realized here as on its own host, so such an exception is opened on both ends. Whether a pair can be a flow
 * is decided from the desired state alone ({@link #problem}), the same way on every host, so that an exception is
 * opened on both ends or on neither.
 *
 * <p>What it refuses, with a warning and without a flow (fail closed): exceptions whose other side runs on another
 * host and is not a bridged VM of the same group (routed flows across hosts are not realized yet); user-mode VMs as destinations (slirp accepts no
 * inbound connections); exceptions between two non-guests (qfence filters only its guests' traffic); IPv6 prefixes
 * against a single VM (VMs are addressed by IPv4 only; IPv6 is policed per group).
 */
final class PolicyBuilder {

    /** The port a bastion with {@code sshToGroup} reaches on its group's VMs. */
    static final int SSH_PORT = 22;

    private final DesiredState state;
    private final List<Group> groups;
    private final Map<String, VmEndpoint> endpoints;
    private final Map<String, IsolationPolicy.RemoteVm> remote;
    private final LocalDate today;
    private final List<Diagnostic> warnings;
    private final List<Diagnostic> errors;
    private final Set<Flow> flows = new TreeSet<>();

    PolicyBuilder(DesiredState state, List<Group> groups, Map<String, VmEndpoint> endpoints, LocalDate today,
            List<Diagnostic> warnings, List<Diagnostic> errors) {
        this(state, groups, endpoints, Map.of(), today, warnings, errors);
    }

    PolicyBuilder(DesiredState state, List<Group> groups, Map<String, VmEndpoint> endpoints,
            Map<String, IsolationPolicy.RemoteVm> remote, LocalDate today, List<Diagnostic> warnings, List<Diagnostic> errors) {
        this.state = state;
        this.groups = groups.stream().sorted(Comparator.comparing(Group::name)).toList();
        this.endpoints = endpoints;
        this.remote = remote;
        this.today = today;
        this.warnings = warnings;
        this.errors = errors;
    }

    IsolationPolicy build() {
        Map<Integer, String> hostPorts = new HashMap<>();
        for (Group g : groups) {
            groupFlows(g, hostPorts);
            for (int i = 0; i < g.allow().size(); i++) {
                exception(g, i + 1, g.allow().get(i));
            }
        }
        warnAboutRemoteExceptions();
        Set<String> routed = new HashSet<>();
        Set<String> intraUsed = new HashSet<>();
        for (Flow f : flows) {
            String from = bridgedGroup(f.source());
            String to = bridgedGroup(f.destination());
            if (from != null && from.equals(to)) {
                intraUsed.add(from);
                continue;
            }
            if (from != null) {
                routed.add(from);
            }
            if (to != null) {
                routed.add(to);
            }
        }
        List<Network> networks = groups.stream().map(g -> new Network(g.name(), io.qfence.model.InterfaceNames.bridge(g.name()),
                g.subnet(), g.subnet6(), routed.contains(g.name()),
                g.intraGroup() == IntraGroup.DENY && !intraUsed.contains(g.name()))).toList();
        List<IsolationPolicy.Trunk> trunks = groups.stream().filter(this::spansHosts)
                .map(g -> new IsolationPolicy.Trunk(g.name(), io.qfence.model.InterfaceNames.vlan(g.vlan()))).toList();
        return new IsolationPolicy(List.copyOf(flows), List.copyOf(endpoints.values()), networks, qfenceNetworks(state),
                List.copyOf(remote.values()), trunks);
    }

    /** Every group's subnets in the desired state, with blocks nested in another folded away. */
    static List<Cidr> qfenceNetworks(DesiredState state) {
        List<Cidr> all = new ArrayList<>();
        for (Group g : state.groups()) {
            all.add(g.subnet());
            g.subnet6().ifPresent(all::add);
        }
        List<Cidr> distinct = all.stream().distinct().toList();
        List<Cidr> folded = distinct.stream().filter(c -> distinct.stream()
                .noneMatch(o -> o.prefixLength() < c.prefixLength() && IsolationPolicy.encloses(o, c))).toList();
        return folded.stream().map(Principal.Prefix::new).sorted().map(Principal.Prefix::cidr).toList();
    }

    private void groupFlows(Group g, Map<Integer, String> hostPorts) {
        List<VmEndpoint> members = endpoints.values().stream().filter(v -> v.group().equals(g.name())).sorted(Comparator.comparing(VmEndpoint::name)).toList();
        boolean anyBridged = members.stream().anyMatch(VmEndpoint::bridged);
        List<VmEndpoint> users = members.stream().filter(v -> !v.bridged()).toList();
        // the group's VMs on other hosts share its bridge through the trunk (their user-mode VMs do not)
        anyBridged = anyBridged || remote.values().stream().anyMatch(r -> r.group().equals(g.name()));
        Principal group = Principal.group(g.name());
        if (g.intraGroup() == IntraGroup.ALLOW && anyBridged) {
            flows.add(Flow.of(group, group, FlowProtocol.ANY, Ports.NONE, "intra:" + g.name()));
            users.forEach(u -> flows.add(Flow.of(u.principal(), group, FlowProtocol.ANY, Ports.NONE, "intra:" + g.name())));
        }
        if (g.egress() == Egress.NAT) {
            if (anyBridged) {
                flows.add(Flow.of(group, Principal.INTERNET, FlowProtocol.ANY, Ports.NONE, "egress:" + g.name()));
            }
            users.forEach(u -> flows.add(Flow.of(u.principal(), Principal.INTERNET, FlowProtocol.ANY, Ports.NONE, "egress:" + g.name())));
        }
        if (g.bastion().isEmpty()) {
            return;
        }
        String bastionName = g.bastion().get().vm();
        Optional<VmEndpoint> bastion = members.stream().filter(v -> v.name().equals(bastionName)).findFirst();
        Optional<IsolationPolicy.RemoteVm> remoteBastion = Optional.ofNullable(remote.get(bastionName));
        if (bastion.isEmpty() && remoteBastion.isPresent()) {
            // Its own host exposes it; here its way into the group arrives over the trunk and is opened on this end too.
            if (g.bastion().get().sshToGroup()) {
                flows.add(Flow.of(remoteBastion.get().principal(), group, FlowProtocol.TCP, Ports.single(SSH_PORT), "bastion:" + g.name()));
            }
            return;
        }
        if (bastion.isEmpty() && g.vm(bastionName).isPresent()) {
            return; // a user-mode bastion on another host: its traffic never leaves that host's stack
        }
        if (bastion.isEmpty()) {
            errors.add(Diagnostic.error(g.origin(), "group " + g.name() + ": bastion " + bastionName + " is not a VM of the group"));
            return;
        }
        if (g.bastion().get().sshToGroup()) {
            // Its own flow, not folded into intraGroup's: the way in is a visible part of the group's policy.
            flows.add(Flow.of(bastion.get().principal(), group, FlowProtocol.TCP, Ports.single(SSH_PORT), "bastion:" + g.name()));
        }
        Optional<Exposure> exposure = g.bastion().get().expose();
        if (exposure.isEmpty()) {
            return;
        }
        Exposure e = exposure.get();
        if (!bastion.get().bridged()) {
            errors.add(Diagnostic.error(g.origin(), "group " + g.name() + ": bastion " + bastionName
                    + " uses user-mode networking and cannot be exposed; make it bridged"));
            return;
        }
        String other = hostPorts.putIfAbsent(e.hostPort(), g.name());
        if (other != null) {
            errors.add(Diagnostic.error(g.origin(), "group " + g.name() + ": host port " + e.hostPort()
                    + " is already exposed by group " + other));
            return;
        }
        for (Cidr from : e.from()) {
            if (from instanceof Ipv4Cidr) {
                flows.add(new Flow(new Principal.Outside(from), bastion.get().principal(), FlowProtocol.TCP,
                        Ports.single(e.port()), OptionalInt.of(e.hostPort()), "expose:" + g.name()));
            } else {
                warnings.add(Diagnostic.warning(g.origin(), "group " + g.name() + ": exposure source " + from
                        + " ignored: the bastion has no IPv6 address to forward to"));
            }
        }
    }

    private void exception(Group g, int index, FirewallException ex) {
        String what = "exception " + index + " of group " + g.name() + " (" + ex.from() + " -> " + ex.to() + ")";
        if (!ex.isActiveOn(today)) {
            return; // the loader has warned (see above)
        }
        Optional<List<Principal>> sources = resolve(ex.from(), true, ex, what);
        Optional<List<Principal>> destinations = resolve(ex.to(), false, ex, what);
        if (sources.isEmpty() || destinations.isEmpty()) {
            return;
        }
        FlowProtocol protocol = FlowProtocol.of(ex.protocol());
        Ports ports = !protocol.hasPorts() ? Ports.NONE : ex.ports().isEmpty() ? Ports.ALL : Ports.of(ex.ports());
        String origin = "exception:" + g.name() + ":" + index;
        for (Principal s : sources.get()) {
            for (Principal d : destinations.get()) {
                Optional<String> problem = problem(s, d);
                if (problem.isPresent()) {
                    warnings.add(Diagnostic.warning(ex.origin(), what + ": " + problem.get() + "; ignored"));
                } else {
                    flows.add(Flow.of(s, d, protocol, ports, origin));
                }
            }
        }
    }

    /**
     * Why a source/destination pair cannot be a flow, if it cannot. A pair with a VM of another host is decided from
     * the desired state alone, so that both hosts decide alike: it is a flow only between bridged VMs (or a VM and
     * its group) of one group, which meet on the group's VLAN.
     */
    private Optional<String> problem(Principal s, Principal d) {
        Optional<String> acrossHosts = acrossHosts(s, d);
        if (acrossHosts.isPresent()) {
            return acrossHosts;
        }
        boolean sourceGuest = s instanceof Principal.SingleVm || s instanceof Principal.BridgedGroup;
        boolean destinationGuest = d instanceof Principal.SingleVm || d instanceof Principal.BridgedGroup;
        if (s.equals(d) && s instanceof Principal.SingleVm) {
            return Optional.of("a VM always reaches itself");
        }
        if (!sourceGuest && !destinationGuest) {
            return Optional.of("qfence filters only traffic from and to its guests, so an exception from " + s + " to " + d + " has no effect");
        }
        if (s instanceof Principal.Prefix p && p.cidr() instanceof Ipv6Cidr && d instanceof Principal.SingleVm) {
            return Optional.of("VMs are addressed by IPv4 only; allow IPv6 sources toward the VM's group instead");
        }
        if (d instanceof Principal.Prefix p && p.cidr() instanceof Ipv6Cidr && s instanceof Principal.SingleVm v
                && isBridged(v.name())) {
            return Optional.of("bridged VMs are matched by their IPv4 address only; allow IPv6 destinations from the VM's group instead");
        }
        Principal ipv6Side = s instanceof Principal.Prefix p && p.cidr() instanceof Ipv6Cidr ? d
                : d instanceof Principal.Prefix p && p.cidr() instanceof Ipv6Cidr ? s : null;
        if (ipv6Side instanceof Principal.BridgedGroup g && groups.stream().anyMatch(x -> x.name().equals(g.name()) && x.subnet6().isEmpty())) {
            return Optional.of("group " + g.name() + " has no subnet6, so no IPv6 traffic reaches or leaves it");
        }
        return Optional.empty();
    }

    /**
     * The principals an endpoint stands for on this host, or empty when the exception cannot be realized here (a
     * warning or error says why). A group as a source is its bridge plus each of its user-mode VMs; as a destination
     * only its bridge, since user-mode VMs accept no inbound connections.
     */
    private Optional<List<Principal>> resolve(Endpoint e, boolean asSource, FirewallException ex, String what) {
        if (e instanceof Endpoint.HostRef) {
            return Optional.of(List.of(Principal.HOST));
        }
        if (e instanceof Endpoint.InternetRef) {
            return Optional.of(List.of(Principal.INTERNET));
        }
        if (e instanceof Endpoint.CidrRef c) {
            Optional<Cidr> clash = qfenceNetworks(state).stream().filter(n -> IsolationPolicy.overlaps(n, c.cidr())).findFirst();
            clash.ifPresent(n -> warnings.add(Diagnostic.warning(ex.origin(), what + ": " + c.cidr() + " overlaps the qfence network " + n
                    + ", which a prefix never reaches; name the VM or group instead")));
            return Optional.of(List.of(new Principal.Prefix(c.cidr())));
        }
        if (e instanceof Endpoint.VmRef v) {
            VmEndpoint vm = endpoints.get(v.vm());
            if (vm == null && remote.containsKey(v.vm())) {
                return Optional.of(List.of(remote.get(v.vm()).principal()));
            }
            if (vm == null) {
                if (state.vm(v.vm()).isPresent()) {
                    warnings.add(Diagnostic.warning(ex.origin(), what + ": vm " + v.vm()
                            + " does not run on this host; cross-host exceptions are not realized"));
                } else {
                    errors.add(Diagnostic.error(ex.origin(), what + ": unknown vm " + v.vm()));
                }
                return Optional.empty();
            }
            if (!asSource && !vm.bridged()) {
                warnings.add(Diagnostic.warning(ex.origin(), what + ": vm " + v.vm()
                        + " uses user-mode networking and accepts no inbound connections; ignored"));
                return Optional.empty();
            }
            return Optional.of(List.of(vm.principal()));
        }
        Endpoint.GroupRef ref = (Endpoint.GroupRef) e;
        boolean local = groups.stream().anyMatch(g -> g.name().equals(ref.group()));
        if (!local) {
            if (state.group(ref.group()).isPresent()) {
                warnings.add(Diagnostic.warning(ex.origin(), what + ": group " + ref.group()
                        + " does not run on this host; cross-host exceptions are not realized"));
            } else {
                errors.add(Diagnostic.error(ex.origin(), what + ": unknown group " + ref.group()));
            }
            return Optional.empty();
        }
        List<VmEndpoint> members = endpoints.values().stream().filter(m -> m.group().equals(ref.group()))
                .sorted(Comparator.comparing(VmEndpoint::name)).toList();
        List<Principal> result = new ArrayList<>();
        if (members.stream().anyMatch(VmEndpoint::bridged) || remote.values().stream().anyMatch(r -> r.group().equals(ref.group()))) {
            result.add(Principal.group(ref.group()));
        }
        if (asSource) {
            members.stream().filter(m -> !m.bridged()).forEach(m -> result.add(m.principal()));
        }
        if (result.isEmpty()) {
            warnings.add(Diagnostic.warning(ex.origin(), what + ": group " + ref.group() + " has no "
                    + (asSource ? "" : "bridged ") + "VMs; ignored"));
            return Optional.empty();
        }
        return Optional.of(result);
    }

    /** Exceptions of groups on other hosts that name this host's VMs or groups are not realized; say so here too. */
    private void warnAboutRemoteExceptions() {
        Set<String> localGroups = new HashSet<>();
        groups.forEach(g -> localGroups.add(g.name()));
        for (Group other : state.groups()) {
            if (localGroups.contains(other.name())) {
                continue;
            }
            for (int i = 0; i < other.allow().size(); i++) {
                FirewallException ex = other.allow().get(i);
                if (ex.isActiveOn(today) && (touchesLocal(ex.from(), localGroups) || touchesLocal(ex.to(), localGroups))) {
                    warnings.add(Diagnostic.warning(ex.origin(), "exception " + (i + 1) + " of group " + other.name() + " (" + ex.from()
                            + " -> " + ex.to() + ") names a VM or group of this host from another host; cross-host exceptions are not realized"));
                }
            }
        }
    }

    private boolean touchesLocal(Endpoint e, Set<String> localGroups) {
        return (e instanceof Endpoint.VmRef v && endpoints.containsKey(v.vm()))
                || (e instanceof Endpoint.GroupRef g && localGroups.contains(g.group()));
    }

    /** The group whose bridge a principal sits behind, or null (host, internet, prefixes, user-mode VMs). */
    private String bridgedGroup(Principal p) {
        if (p instanceof Principal.BridgedGroup g) {
            return g.name();
        }
        if (p instanceof Principal.SingleVm v && isBridged(v.name())) {
            return v.group();
        }
        return null;
    }

    /** A group several hosts run (validation requires an uplink on each of them). */
    private boolean spansHosts(Group g) {
        return state.spansHosts(g.name());
    }

    private boolean isBridged(String vm) {
        VmEndpoint local = endpoints.get(vm);
        return local != null ? local.bridged() : remote.containsKey(vm);
    }

    /**
     * A pair with a VM on another host: only bridged VMs of one group meet across hosts, on its VLAN; a routed flow
     * across hosts (another group, the host, a prefix) would leave this host from the gateway, which the other
     * host's trunk refuses (DESIGN.md §20), and a user-mode VM's traffic never leaves its own host's stack.
     */
    private Optional<String> acrossHosts(Principal s, Principal d) {
        boolean remoteSource = s instanceof Principal.SingleVm v && remote.containsKey(v.name());
        boolean remoteDestination = d instanceof Principal.SingleVm v && remote.containsKey(v.name());
        if (!remoteSource && !remoteDestination) {
            return Optional.empty();
        }
        String sg = s instanceof Principal.SingleVm v ? v.group() : s instanceof Principal.BridgedGroup g ? g.name() : null;
        String dg = d instanceof Principal.SingleVm v ? v.group() : d instanceof Principal.BridgedGroup g ? g.name() : null;
        boolean bridgedEnds = (!(s instanceof Principal.SingleVm v1) || isBridged(v1.name()))
                && (!(d instanceof Principal.SingleVm v2) || isBridged(v2.name()));
        if (sg != null && sg.equals(dg) && bridgedEnds) {
            return Optional.empty();
        }
        Principal far = remoteSource ? s : d;
        return Optional.of(far + " runs on host " + remote.get(((Principal.SingleVm) far).name()).host()
                + ", and only bridged VMs of one group meet across hosts (on its VLAN); cross-host exceptions are not realized otherwise");
    }
}
