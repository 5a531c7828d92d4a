package io.qfence.verify;

import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.PortRange;
import io.qfence.plan.explain.ExplainQuery;
import io.qfence.realize.Flow;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.IsolationPolicy;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import io.qfence.realize.Principal;
import io.qfence.realize.Reach;
import io.qfence.realize.ReachabilityRelation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The isolation matrix of one realized host and what the sandbox needs to probe it (pure):
 * <ul>
 *   <li>every VM to every bridged VM, on every port the policy names for any VM, plus {@link #UNNAMED_PORT}, and ICMP;</li>
 *   <li>every VM to the host: a bridged VM at its group's gateway (where the group is routed) and at the host's uplink
 *       address; a user-mode VM at slirp's {@code 10.0.2.2}, which is the host's loopback, and at the uplink address;
 *       on the ports named for the host or any VM, plus the unnamed port;</li>
 *   <li>every VM to a stand-in internet host and to a stand-in host in each prefix the policy names, on the ports
 *       named toward the internet or any prefix, plus the unnamed port, and ICMP;</li>
 *   <li>outside clients to each bastion exposure's host port, from inside and from outside its allowed blocks; and
 *       outside sources the policy lets in (prefixes, the internet) to the VMs they may reach;</li>
 *   <li>with a {@link Coverage} from the invariants: the ports they name (listened on and probed like named ports), and
 *       the stranger (for the internet) and each prefix's stand-in toward every bridged VM and the host an invariant
 *       covers from there, where no cell above probes that pair yet.</li>
 * </ul>
 * Each cell's expectation is {@link ReachabilityRelation#allows}; each listener answers with a banner naming itself,
 * so that a probe counts as allowed only when the intended endpoint answered.
 *
 * <p>User-mode VMs are not probed with ICMP: QEMU's user-mode networking turns a guest's pings into the QEMU
 * process's own ICMP sockets, which hosts refuse by default ({@code net.ipv4.ping_group_range}), so the outcome
 * would say nothing about the firewall.
 */
public final class ProbePlan {

    /** The port no rule names: every target listens on it, and nothing may reach it unless all ports are open. */
    public static final int UNNAMED_PORT = 9;
    /** Under QEMU's user-mode networking, the guest's gateway: QEMU turns connections to it into the host's loopback. */
    public static final Ipv4Address SLIRP_HOST = Ipv4Address.parse("10.0.2.2");
    public static final Ipv4Address SLIRP_GUEST = Ipv4Address.parse("10.0.2.15");
    public static final int SLIRP_PREFIX = 24;

    private final IsolationPolicy policy;
    private final ProbeWorld world;
    private final List<ProbeCell> cells;
    private final ProbePorts vmPorts;
    private final ProbePorts hostPorts;
    private final ProbePorts outsidePorts;
    private final Map<String, ExplainQuery> queries;

    /** TCP and UDP ports to listen on or probe. */
    public record ProbePorts(SortedSet<Integer> tcp, SortedSet<Integer> udp) {
        public ProbePorts {
            tcp = Collections.unmodifiableSortedSet(new TreeSet<>(tcp));
            udp = Collections.unmodifiableSortedSet(new TreeSet<>(udp));
        }
    }

    private ProbePlan(IsolationPolicy policy, ProbeWorld world, ProbePorts vmPorts, ProbePorts hostPorts, ProbePorts outsidePorts, List<ProbeCell> cells,
                      Map<String, ExplainQuery> queries) {
        this.policy = policy;
        this.world = world;
        this.vmPorts = vmPorts;
        this.hostPorts = hostPorts;
        this.outsidePorts = outsidePorts;
        this.cells = List.copyOf(cells);
        this.queries = Collections.unmodifiableMap(new LinkedHashMap<>(queries));
    }

    /**
     * What the invariants add to the matrix (DESIGN.md §18, "Proven live"): the ports they name, which every guest and
     * the host then listen on and every VM probes, and which (source, destination) pairs they speak about, so that an
     * outside client gets a cell toward each VM (and the host) an invariant covers even where no flow allows it.
     */
    public record Coverage(ProbePorts ports, java.util.function.BiPredicate<Principal, Principal> covers) {
        public static final Coverage NONE = new Coverage(new ProbePorts(new TreeSet<>(), new TreeSet<>()), (from, to) -> false);

        public Coverage {
            java.util.Objects.requireNonNull(ports, "ports");
            java.util.Objects.requireNonNull(covers, "covers");
        }
    }

    public static ProbePlan of(IsolationPolicy policy, ReachabilityRelation relation, ProbeWorld world) {
        return of(policy, relation, world, Coverage.NONE);
    }

    public static ProbePlan of(IsolationPolicy policy, ReachabilityRelation relation, ProbeWorld world, Coverage coverage) {
        ProbePorts vmPorts = union(named(relation, d -> d instanceof Principal.SingleVm), coverage.ports());
        ProbePorts hostPorts = union(union(named(relation, d -> d instanceof Principal.ThisHost), vmPorts), coverage.ports());
        ProbePorts outsidePorts = named(relation, d -> d instanceof Principal.Internet || d instanceof Principal.Prefix);
        Builder b = new Builder(policy, relation, world);

        for (VmEndpoint source : policy.vms()) {
            for (VmEndpoint target : policy.vms()) {
                if (target.bridged() && !target.name().equals(source.name())) {
                    b.all(source, target.name(), Optional.of(target.name()), target.ip().orElseThrow(), target.principal(), vmPorts,
                            true, "QF-TCP-OK " + target.name(), "QF-UDP-OK " + target.name());
                }
            }
            List<Ipv4Address> hostAddresses = new ArrayList<>();
            if (source.bridged()) {
                policy.network(source.group()).filter(IsolationPolicy.Network::routed)
                        .ifPresent(n -> hostAddresses.add(n.subnet().gateway()));
            }
            hostAddresses.add(world.hostAddress());
            for (Ipv4Address a : hostAddresses) {
                b.all(source, "host " + a, Optional.empty(), a, Principal.HOST, hostPorts, true, "QF-HOST-OK", "QF-HOST-OK");
            }
            if (!source.bridged()) {
                b.all(source, "host loopback (slirp " + SLIRP_HOST + ")", Optional.empty(), SLIRP_HOST, Principal.HOST, hostPorts,
                        false, "QF-HOST-OK", "QF-HOST-OK");
            }
            b.all(source, "internet " + world.internet(), Optional.empty(), world.internet(), Principal.address(world.internet().toString()),
                    outsidePorts, true, "QF-NET-OK " + world.internet(), "QF-NET-OK " + world.internet());
            world.prefixes().forEach((block, standIn) -> b.all(source, block + " (" + standIn + ")", Optional.empty(), standIn,
                    Principal.address(standIn.toString()), outsidePorts, true, "QF-NET-OK " + standIn, "QF-NET-OK " + standIn));
        }

        // Outside clients: each exposure from inside and from outside its allowed blocks.
        for (Reach r : relation.entries()) {
            if (r.viaHostPort().isEmpty() || !(r.destination() instanceof Principal.SingleVm bastion)) {
                continue;
            }
            int hostPort = r.viaHostPort().getAsInt();
            int port = r.ports().ranges().get(0).first();
            List<Ipv4Address> clients = new ArrayList<>();
            if (r.source() instanceof Principal.Outside out && out.cidr() instanceof Ipv4Cidr c && world.outsideInside().containsKey(c)) {
                clients.add(world.outsideInside().get(c));
            }
            clients.add(world.stranger());
            for (Ipv4Address client : clients) {
                b.outside(client, bastion.name() + " via host:" + hostPort, bastion, world.hostAddress(), hostPort,
                        Principal.outside(client + "/32"), port);
            }
        }
        // Outside sources the policy lets in directly (prefixes, the internet), to the VMs they may reach.
        for (Reach r : relation.entries()) {
            if (r.viaHostPort().isPresent() || !(r.destination() instanceof Principal.SingleVm vm)) {
                continue;
            }
            Optional<Ipv4Address> client = r.source() instanceof Principal.Internet ? Optional.of(world.stranger())
                    : r.source() instanceof Principal.Prefix p ? world.standIn(p) : Optional.empty();
            VmEndpoint target = policy.vm(vm.name()).orElseThrow();
            if (client.isEmpty() || !target.bridged()) {
                continue;
            }
            b.inbound(client.get(), target, Principal.address(client.get().toString()), vmPorts);
        }
        // Outside clients toward what an invariant covers and no cell above probes yet: the stranger stands for the
        // internet, each prefix's stand-in for its block. TCP on every port a guest (or the host) listens on, UDP on
        // the ports the invariants name: one concrete probe per pair at least, bounded by the named ports.
        // An exposure's inside client stands for its allowed block: it is probed toward what an invariant covers too.
        List<Ipv4Address> clients = new ArrayList<>(List.of(world.stranger()));
        clients.addAll(world.prefixes().values());
        clients.addAll(world.outsideInside().values());
        for (Ipv4Address client : clients.stream().distinct().toList()) {
            Principal from = Principal.address(client.toString());
            String source = "outside " + client;
            for (VmEndpoint target : policy.vms()) {
                if (target.bridged() && coverage.covers().test(from, target.principal()) && !b.probes(source, target.name())) {
                    b.inbound(client, target, from, new ProbePorts(vmPorts.tcp(), coverage.ports().udp()));
                }
            }
            String host = "host " + world.hostAddress();
            if (coverage.covers().test(from, Principal.HOST) && !b.probes(source, host)) {
                hostPorts.tcp().forEach(p -> b.add(source, Optional.empty(), from, host, Optional.empty(), world.hostAddress(), Principal.HOST,
                        FlowProtocol.TCP, p, p, "QF-HOST-OK"));
                coverage.ports().udp().forEach(p -> b.add(source, Optional.empty(), from, host, Optional.empty(), world.hostAddress(), Principal.HOST,
                        FlowProtocol.UDP, p, p, "QF-HOST-OK"));
            }
        }
        return new ProbePlan(policy, world, vmPorts, hostPorts, outsidePorts, b.cells, b.queries);
    }

    public IsolationPolicy policy() {
        return policy;
    }

    public ProbeWorld world() {
        return world;
    }

    public List<ProbeCell> cells() {
        return cells;
    }

    /** Each cell's question as {@code qfence explain} asks it (the relation's principals, the policy's port), by cell id. */
    public Map<String, ExplainQuery> queries() {
        return queries;
    }

    /** The ports every probe guest listens on. */
    public ProbePorts vmPorts() {
        return vmPorts;
    }

    /** The ports the host listens on (on all of its addresses, loopback included). */
    public ProbePorts hostPorts() {
        return hostPorts;
    }

    /** The ports each outside stand-in listens on. */
    public ProbePorts outsidePorts() {
        return outsidePorts;
    }

    /** The ports named by entries toward destinations of one kind, plus the unnamed port; both ends of each range. */
    private static ProbePorts named(ReachabilityRelation relation, java.util.function.Predicate<Principal> destination) {
        SortedSet<Integer> tcp = new TreeSet<>(List.of(UNNAMED_PORT));
        SortedSet<Integer> udp = new TreeSet<>(List.of(UNNAMED_PORT));
        for (Reach r : relation.entries()) {
            if (!destination.test(r.destination()) || !r.protocol().hasPorts()) {
                continue;
            }
            SortedSet<Integer> into = r.protocol() == FlowProtocol.TCP ? tcp : udp;
            for (PortRange range : r.ports().ranges()) {
                into.add(range.first());
                into.add(range.last());
            }
        }
        return new ProbePorts(tcp, udp);
    }

    private static ProbePorts union(ProbePorts a, ProbePorts b) {
        SortedSet<Integer> tcp = new TreeSet<>(a.tcp());
        tcp.addAll(b.tcp());
        SortedSet<Integer> udp = new TreeSet<>(a.udp());
        udp.addAll(b.udp());
        return new ProbePorts(tcp, udp);
    }

    /** Accumulates cells with sequential ids. */
    private static final class Builder {
        final IsolationPolicy policy;
        final ReachabilityRelation relation;
        final ProbeWorld world;
        final List<ProbeCell> cells = new ArrayList<>();
        final Map<String, ExplainQuery> queries = new LinkedHashMap<>();
        final java.util.Set<String> keys = new java.util.HashSet<>();

        Builder(IsolationPolicy policy, ReachabilityRelation relation, ProbeWorld world) {
            this.policy = policy;
            this.relation = relation;
            this.world = world;
        }

        void all(VmEndpoint source, String target, Optional<String> owner, Ipv4Address address, Principal to, ProbePorts ports, boolean icmp,
                 String tcpBanner, String udpBanner) {
            for (int port : ports.tcp()) {
                add(source.name(), Optional.of(source.name()), source.principal(), target, owner, address, to, FlowProtocol.TCP, port, port, tcpBanner);
            }
            for (int port : ports.udp()) {
                add(source.name(), Optional.of(source.name()), source.principal(), target, owner, address, to, FlowProtocol.UDP, port, port, udpBanner);
            }
            if (icmp && source.bridged()) {
                add(source.name(), Optional.of(source.name()), source.principal(), target, owner, address, to, FlowProtocol.ICMP, 0, 0, "");
            }
        }

        void outside(Ipv4Address client, String target, Principal.SingleVm bastion, Ipv4Address hostAddress, int hostPort, Principal from, int port) {
            add("outside " + client, Optional.empty(), from, target, Optional.of(bastion.name()), hostAddress, bastion, FlowProtocol.TCP,
                    hostPort, port, "QF-TCP-OK " + bastion.name());
        }

        void inbound(Ipv4Address client, VmEndpoint target, Principal from, ProbePorts ports) {
            for (int port : ports.tcp()) {
                add("outside " + client, Optional.empty(), from, target.name(), Optional.of(target.name()), target.ip().orElseThrow(),
                        target.principal(), FlowProtocol.TCP, port, port, "QF-TCP-OK " + target.name());
            }
            for (int port : ports.udp()) {
                add("outside " + client, Optional.empty(), from, target.name(), Optional.of(target.name()), target.ip().orElseThrow(),
                        target.principal(), FlowProtocol.UDP, port, port, "QF-UDP-OK " + target.name());
            }
        }

        /** Some cell already probes from {@code source} to {@code target}. */
        boolean probes(String source, String target) {
            return cells.stream().anyMatch(c -> c.source().equals(source) && c.target().equals(target));
        }

        /**
         * @param connectPort where the probe connects (an exposure's host port)
         * @param policyPort  the port the relation is asked about (the bastion's own port behind the exposure)
         */
        void add(String source, Optional<String> sourceVm, Principal from, String target, Optional<String> owner,
                         Ipv4Address address, Principal to, FlowProtocol protocol, int connectPort, int policyPort, String banner) {
            if (!keys.add(source + " " + target + " " + protocol + " " + connectPort)) {
                return;
            }
            boolean expected = relation.allows(from, to, protocol, policyPort);
            String basis = expected ? basis(from, to, protocol, policyPort) : "no flow allows it";
            queries.put("c" + cells.size(), ExplainQuery.of(from, to, protocol, policyPort));
            cells.add(new ProbeCell("c" + cells.size(), source, sourceVm, target, owner, address, protocol, connectPort, expected, banner, basis));
        }

        /** The policy flow that allows it, e.g. {@code vm:web-app-1 -> host udp 53 (exception:web:2)}. */
        private String basis(Principal from, Principal to, FlowProtocol protocol, int port) {
            return policy.flowsAllowing(from, to, protocol, port).stream().findFirst().map(Flow::toString)
                    .orElse("allowed by the reachability relation");
        }
    }

    /** The sources of the matrix in display order: VMs by name, then outside clients. */
    public List<String> sources() {
        Map<String, Boolean> seen = new LinkedHashMap<>();
        cells.forEach(c -> seen.put(c.source(), true));
        return List.copyOf(seen.keySet());
    }
}
