package io.qfence.plan.diff;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The flows a realized policy allows, as the isolation diff compares them. Entries are normalized per
 * (source, destination, protocol): their ports are merged, so that {@code tcp/80} and {@code tcp/81} equal
 * {@code tcp/80-81}, and a difference says exactly which ports were gained or lost.
 *
 * <p>A flow without ports (e.g. {@code icmp}) allows its protocol whatever the port.
 *
 * <p>This is the planner's own small view of reachability, so that the diff does not depend on how realization
 * represents it; an adapter fills it from the realization's relation.
 */
public final class FlowSet {

    public static final FlowSet EMPTY = new FlowSet(new TreeMap<>(), new TreeSet<>());

    private record Key(String source, String destination, String protocol) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = source.compareTo(o.source);
            c = c != 0 ? c : destination.compareTo(o.destination);
            return c != 0 ? c : protocol.compareTo(o.protocol);
        }
    }

    /** Flows with ports, by key; portless flows (e.g. icmp) by presence. */
    private final TreeMap<Key, PortSet> withPorts;
    private final TreeSet<Key> portless;

    private FlowSet(TreeMap<Key, PortSet> withPorts, TreeSet<Key> portless) {
        this.withPorts = withPorts;
        this.portless = portless;
    }

    public static FlowSet of(Collection<FlowEntry> entries) {
        TreeMap<Key, PortSet> withPorts = new TreeMap<>();
        TreeSet<Key> portless = new TreeSet<>();
        for (FlowEntry e : entries) {
            Objects.requireNonNull(e, "entry");
            Key k = new Key(e.source(), e.destination(), e.protocol());
            if (e.hasPorts()) {
                withPorts.merge(k, PortSet.parse(e.ports()), PortSet::union);
            } else {
                portless.add(k);
            }
        }
        // a flow without ports allows the protocol whatever the port: it covers any port list of the same key
        portless.forEach(withPorts::remove);
        return new FlowSet(withPorts, portless);
    }

    public static FlowSet of(FlowEntry... entries) {
        return of(List.of(entries));
    }

    /** The normalized entries, sorted: one per (source, destination, protocol), ports merged. */
    public SortedSet<FlowEntry> entries() {
        TreeSet<FlowEntry> out = new TreeSet<>();
        withPorts.forEach((k, p) -> out.add(new FlowEntry(k.source(), k.destination(), k.protocol(), p.toString())));
        portless.forEach(k -> out.add(new FlowEntry(k.source(), k.destination(), k.protocol(), "")));
        return Collections.unmodifiableSortedSet(out);
    }

    public boolean isEmpty() {
        return withPorts.isEmpty() && portless.isEmpty();
    }

    /** Whether traffic from source to destination with protocol on port is allowed ({@code port} ignored when portless). */
    public boolean allows(String source, String destination, String protocol, int port) {
        Key k = new Key(source, destination, protocol);
        if (portless.contains(k)) {
            return true;
        }
        PortSet p = withPorts.get(k);
        return p != null && p.contains(port);
    }

    /** What this set allows and {@code other} does not. */
    public FlowSet minus(FlowSet other) {
        TreeMap<Key, PortSet> withPortsOut = new TreeMap<>();
        for (Map.Entry<Key, PortSet> e : withPorts.entrySet()) {
            PortSet rest = other.portless.contains(e.getKey()) ? PortSet.NONE
                    : e.getValue().minus(other.withPorts.getOrDefault(e.getKey(), PortSet.NONE));
            if (!rest.isEmpty()) {
                withPortsOut.put(e.getKey(), rest);
            }
        }
        TreeSet<Key> portlessOut = new TreeSet<>();
        for (Key k : portless) {
            PortSet otherPorts = other.withPorts.get(k);
            if (otherPorts != null) {
                PortSet rest = PortSet.ALL.minus(otherPorts);
                if (!rest.isEmpty()) {
                    withPortsOut.put(k, rest);
                }
            } else if (!other.portless.contains(k)) {
                portlessOut.add(k);
            }
        }
        return new FlowSet(withPortsOut, portlessOut);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowSet f && f.entries().equals(entries());
    }

    @Override
    public int hashCode() {
        return entries().hashCode();
    }

    @Override
    public String toString() {
        return entries().toString();
    }
}
