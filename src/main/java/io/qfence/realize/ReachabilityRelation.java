package io.qfence.realize;

import io.qfence.model.Cidr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Who can reach whom on one host, computed from the realized policy (never from the YAML text): a sorted set of
 * {@link Reach} entries over single principals, with every group expanded into its VMs, ports merged, and entries
 * that another entry covers folded away (any protocol covers TCP, UDP and ICMP; the internet covers every prefix).
 * Two revisions that allow the same traffic therefore have equal relations, however their YAML is written.
 *
 * <p><b>Semantics.</b> An entry allows the source to <em>open</em> connections (or send datagrams) to the
 * destination; the firewall is stateful, so replies and related ICMP errors always flow back, and the reverse
 * direction is allowed only by an entry of its own. Whatever no entry allows is denied.
 *
 * <p><b>Internet</b> means any destination that is neither one of the host's own addresses (loopback included) nor
 * inside a qfence network (the subnet of any group in the desired state, on any host), leaving through a non-qfence
 * interface. As a source it means anything arriving through a non-qfence interface. Prefix principals are always
 * outside the qfence networks.
 *
 * <p>Size: a group of {@code n} VMs with intra-group traffic allowed contributes {@code n(n-1)} entries.
 */
public final class ReachabilityRelation {

    private final List<Reach> entries;
    private final List<Cidr> qfenceNetworks;
    private final Map<Reach, List<Basis>> bases;

    ReachabilityRelation(List<Reach> entries, List<Cidr> qfenceNetworks) {
        this(entries, qfenceNetworks, Map.of());
    }

    ReachabilityRelation(List<Reach> entries, List<Cidr> qfenceNetworks, Map<Reach, List<Basis>> bases) {
        this.entries = entries.stream().distinct().sorted().toList();
        this.qfenceNetworks = List.copyOf(qfenceNetworks);
        Map<Reach, List<Basis>> copy = new HashMap<>();
        bases.forEach((r, b) -> copy.put(r, b.stream().distinct().sorted().toList()));
        this.bases = Map.copyOf(copy);
    }

    /**
     * One policy flow merged into an entry: its protocol and ports (those of the entry's protocol; all of them for
     * {@code ANY}) and its {@link Flow#origin()} ({@code exception:ci:2}, {@code intra:web}, ...). What an entry is
     * made of, so that whoever questions an entry (an invariant's violation, {@code explain}) can name the YAML that
     * allowed it. Not part of the relation's equality: two revisions that allow the same traffic are equal however
     * they allow it.
     */
    public record Basis(FlowProtocol protocol, Ports ports, String origin) implements Comparable<Basis> {
        public Basis {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(ports, "ports");
            Objects.requireNonNull(origin, "origin");
        }

        @Override
        public int compareTo(Basis o) {
            return java.util.Comparator.comparing(Basis::origin).thenComparing(Basis::protocol)
                    .thenComparing(b -> b.ports().toString()).compare(this, o);
        }
    }

    /**
     * The relation of several hosts of one desired state together: their entries (VM names are unique across hosts,
     * so entries never clash) and their bases. {@code host} then stands for each host itself.
     */
    public static ReachabilityRelation union(List<ReachabilityRelation> relations) {
        List<Reach> all = new ArrayList<>();
        Set<Cidr> networks = new LinkedHashSet<>();
        Map<Reach, List<Basis>> bases = new HashMap<>();
        for (ReachabilityRelation r : relations) {
            all.addAll(r.entries);
            networks.addAll(r.qfenceNetworks);
            r.bases.forEach((e, b) -> bases.computeIfAbsent(e, k -> new ArrayList<>()).addAll(b));
        }
        return new ReachabilityRelation(all, List.copyOf(networks), bases);
    }

    /** The policy flows that make up {@code entry} (empty for an entry not of this relation). */
    public List<Basis> bases(Reach entry) {
        return bases.getOrDefault(entry, List.of());
    }

    /** The subnets of every group of the desired state, which the internet excludes. */
    public List<Cidr> qfenceNetworks() {
        return qfenceNetworks;
    }

    /**
     * The ports on which {@code source} may open connections to {@code destination} with {@code protocol} (TCP or
     * UDP; for ICMP, {@link Ports#ALL} when it is allowed at all and {@link Ports#NONE} otherwise), over every entry
     * that covers the two, as {@link #allows} reads them.
     */
    public Ports reachablePorts(Principal source, Principal destination, FlowProtocol protocol) {
        Objects.requireNonNull(protocol, "protocol");
        if (protocol == FlowProtocol.ANY) {
            throw new IllegalArgumentException("ask about a concrete protocol: tcp, udp or icmp");
        }
        Ports result = Ports.NONE;
        for (Reach e : entries) {
            if (e.viaHostPort().isEmpty() && covers(e.source(), source) && covers(e.destination(), destination)) {
                if (e.protocol() == FlowProtocol.ANY || (e.protocol() == protocol && !protocol.hasPorts())) {
                    return Ports.ALL;
                }
                if (e.protocol() == protocol) {
                    result = result.union(e.ports());
                }
            }
        }
        return result;
    }

    /** Every allowed (source, destination, protocol, ports) entry, sorted. */
    public List<Reach> entries() {
        return entries;
    }

    /**
     * Whether {@code source} may open a connection to {@code destination} with {@code protocol} on {@code port}
     * (ignored for ICMP). Queries name concrete principals: a VM, the host, the internet, or a single address or
     * prefix ({@link Principal#address}), which the internet entry covers unless it lies in a qfence network; for an
     * exposed bastion, an {@link Principal.Outside} source and the bastion's own port.
     */
    public boolean allows(Principal source, Principal destination, FlowProtocol protocol, int port) {
        Objects.requireNonNull(protocol, "protocol");
        if (protocol == FlowProtocol.ANY) {
            throw new IllegalArgumentException("ask about a concrete protocol: tcp, udp or icmp");
        }
        for (Reach e : entries) {
            if (covers(e.source(), source) && covers(e.destination(), destination)
                    && (e.protocol() == FlowProtocol.ANY || (e.protocol() == protocol && (!protocol.hasPorts() || e.ports().contains(port))))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The traffic this relation allows and {@code other} does not: {@code next.minus(previous)} lists what a change
     * widens, {@code previous.minus(next)} what it narrows. Compared entry by entry on equal source, destination and
     * host port, with ports subtracted.
     */
    public List<Reach> minus(ReachabilityRelation other) {
        List<Reach> result = new ArrayList<>();
        for (Reach e : entries) {
            List<Reach> same = other.entries.stream().filter(o -> o.source().equals(e.source())
                    && o.destination().equals(e.destination()) && o.viaHostPort().equals(e.viaHostPort())).toList();
            if (same.stream().anyMatch(o -> o.protocol() == FlowProtocol.ANY)) {
                continue;
            }
            if (e.protocol() == FlowProtocol.ANY) {
                result.add(e);
                continue;
            }
            Ports left = e.ports();
            boolean covered = false;
            for (Reach o : same) {
                if (o.protocol() == e.protocol()) {
                    left = left.minus(o.ports());
                    covered = !e.protocol().hasPorts() || left.isEmpty();
                }
            }
            if (!covered) {
                result.add(new Reach(e.source(), e.destination(), e.protocol(), left, e.viaHostPort()));
            }
        }
        return result;
    }

    /** One line per entry, sorted: the text {@code qfence diff} compares and shows. */
    public List<String> listing() {
        return entries.stream().map(Reach::toString).toList();
    }

    private boolean covers(Principal entry, Principal query) {
        if (entry.equals(query)) {
            return true;
        }
        if (entry instanceof Principal.Internet && query instanceof Principal.Prefix p) {
            return qfenceNetworks.stream().noneMatch(n -> IsolationPolicy.overlaps(n, p.cidr()));
        }
        if (entry instanceof Principal.Prefix e && query instanceof Principal.Prefix q) {
            return IsolationPolicy.encloses(e.cidr(), q.cidr());
        }
        if (entry instanceof Principal.Outside e && query instanceof Principal.Outside q) {
            return IsolationPolicy.encloses(e.cidr(), q.cidr());
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReachabilityRelation r && r.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return String.join("\n", listing());
    }
}
