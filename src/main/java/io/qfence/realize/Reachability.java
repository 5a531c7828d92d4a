package io.qfence.realize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** Computes the {@link ReachabilityRelation} of a realization, for {@code qfence diff} and {@code qfence verify}. */
public final class Reachability {

    private Reachability() {}

    public static ReachabilityRelation of(Realization realization) {
        return of(realization.policy());
    }

    public static ReachabilityRelation of(IsolationPolicy policy) {
        // Expand groups to VMs, then merge per (source, destination, host port).
        Map<String, List<Principal>> members = new HashMap<>();
        for (IsolationPolicy.VmEndpoint v : policy.vms()) {
            if (v.bridged()) {
                members.computeIfAbsent(v.group(), g -> new ArrayList<>()).add(v.principal());
            }
        }
        // A group's VMs on other hosts are reached over its VLAN, so only by flows within the group (DESIGN.md §20);
        // a pair of two remote VMs is their own hosts' business, not this host's.
        Map<String, List<Principal>> withRemote = new HashMap<>();
        members.forEach((g, list) -> withRemote.put(g, new ArrayList<>(list)));
        java.util.Set<Principal> remote = new java.util.HashSet<>();
        for (IsolationPolicy.RemoteVm r : policy.remoteVms()) {
            withRemote.computeIfAbsent(r.group(), g -> new ArrayList<>()).add(r.principal());
            remote.add(r.principal());
        }
        Map<Key, List<Flow>> byPair = new LinkedHashMap<>();
        for (Flow f : policy.flows()) {
            Map<String, List<Principal>> scope = withinOneGroup(policy, f) ? withRemote : members;
            for (Principal s : expand(scope, f.source())) {
                for (Principal d : expand(scope, f.destination())) {
                    if (s.equals(d) || (remote.contains(s) && remote.contains(d))) {
                        continue;
                    }
                    byPair.computeIfAbsent(new Key(s, d, f.viaHostPort()), k -> new ArrayList<>()).add(f);
                }
            }
        }
        List<Reach> merged = new ArrayList<>();
        Map<Reach, List<ReachabilityRelation.Basis>> bases = new HashMap<>();
        byPair.forEach((key, flows) -> {
            for (Reach r : merge(key, flows.stream().map(f -> new Reach(key.source(), key.destination(), f.protocol(), f.ports(), key.via())).toList())) {
                merged.add(r);
                // An ANY entry is made of every flow of the pair; a per-protocol entry of that protocol's flows.
                bases.put(r, flows.stream().filter(f -> r.protocol() == FlowProtocol.ANY || f.protocol() == r.protocol())
                        .map(f -> new ReachabilityRelation.Basis(f.protocol(), f.ports(), f.origin())).toList());
            }
        });
        List<Reach> folded = merged.stream().filter(r -> !coveredByInternet(r, merged)).toList();
        return new ReachabilityRelation(folded, policy.qfenceNetworks(), bases);
    }

    private record Key(Principal source, Principal destination, OptionalInt via) {}

    /** A flow between bridged VMs (or the bridge) of one group: layer 2, which the group's VLAN carries across hosts. */
    static boolean withinOneGroup(IsolationPolicy policy, Flow f) {
        String s = bridgedGroupOf(policy, f.source());
        return s != null && s.equals(bridgedGroupOf(policy, f.destination()));
    }

    private static String bridgedGroupOf(IsolationPolicy policy, Principal p) {
        if (p instanceof Principal.BridgedGroup g) {
            return g.name();
        }
        return p instanceof Principal.SingleVm v && policy.isBridged(v.name()) ? v.group() : null;
    }

    private static List<Principal> expand(Map<String, List<Principal>> members, Principal p) {
        if (p instanceof Principal.BridgedGroup g) {
            return members.getOrDefault(g.name(), List.of());
        }
        return List.of(p);
    }

    private static List<Reach> merge(Key key, List<Reach> reaches) {
        if (reaches.stream().anyMatch(r -> r.protocol() == FlowProtocol.ANY)) {
            return List.of(new Reach(key.source(), key.destination(), FlowProtocol.ANY, Ports.NONE, key.via()));
        }
        Map<FlowProtocol, Ports> ports = new LinkedHashMap<>();
        for (Reach r : reaches) {
            ports.merge(r.protocol(), r.ports(), Ports::union);
        }
        return ports.entrySet().stream().map(e -> new Reach(key.source(), key.destination(), e.getKey(), e.getValue(), key.via())).toList();
    }

    /**
     * A prefix entry adds nothing when the same principal already reaches (or is reached from) the whole internet
     * with at least that protocol and those ports.
     */
    private static boolean coveredByInternet(Reach r, List<Reach> all) {
        boolean prefixDestination = r.destination() instanceof Principal.Prefix;
        boolean prefixSource = r.source() instanceof Principal.Prefix;
        if (!prefixDestination && !prefixSource) {
            return false;
        }
        return all.stream().anyMatch(o -> o.viaHostPort().isEmpty()
                && (prefixDestination ? o.destination() instanceof Principal.Internet && o.source().equals(r.source())
                        : o.source() instanceof Principal.Internet && o.destination().equals(r.destination()))
                && (o.protocol() == FlowProtocol.ANY || (o.protocol() == r.protocol() && o.ports().containsAll(r.ports()))));
    }

}
