package io.qfence.plan.diff;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who reaches whom at the level of groups, for a reviewer's picture ({@code qfence graph}, and the Mermaid block of
 * {@code diff} and {@code verify} in Markdown): groups, each host, the internet, prefixes and outside sources as
 * nodes; one edge per (source node, destination node) labelled with the protocols and ports of every flow between
 * their members, merged. Built from a {@link FlowSet}, so it shows exactly the relation {@code diff} compares.
 *
 * <p>Bounded: at most {@link #MAX_EDGES} edges and {@link #MAX_NODES} nodes are kept, marked edges first (broken
 * invariants, then gained, then lost flows), then the rest in order; {@link #omittedEdges()} says how many were
 * left out, and the renderers say so beneath the picture.
 *
 * @param nodes sorted: groups, hosts, the internet, prefixes, outside sources
 * @param edges sorted by source and destination node
 */
public record ReachabilityGraph(List<GraphNode> nodes, List<GraphEdge> edges, int omittedEdges, int omittedNodes) {

    public static final int MAX_EDGES = 60;
    public static final int MAX_NODES = 30;
    /** Longer edge labels are cut (with an ellipsis); the flows themselves are listed in the diff's table. */
    public static final int MAX_LABEL = 48;

    public ReachabilityGraph {
        nodes = List.copyOf(nodes);
        edges = List.copyOf(edges);
        Set<String> ids = new TreeSet<>();
        nodes.forEach(n -> ids.add(n.id()));
        for (GraphEdge e : edges) {
            if (!ids.contains(e.from()) || !ids.contains(e.to())) {
                throw new IllegalArgumentException("edge " + e.from() + " -> " + e.to() + " names a node the graph does not have");
            }
        }
    }

    public enum NodeKind { GROUP, HOST, INTERNET, PREFIX, OUTSIDE }

    /** What a reviewer should see first on an edge. */
    public enum EdgeMark {
        /** Carries traffic an invariant forbids. */
        BROKEN,
        /** Carries a flow the change adds. */
        GAINED,
        /** Only flows the change removes (drawn dashed). */
        LOST,
        NONE
    }

    /** @param id stable and safe in Mermaid and DOT: {@code n0}, {@code n1}, ... in node order */
    public record GraphNode(String id, String label, NodeKind kind) {
        public GraphNode {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(kind, "kind");
        }
    }

    /** @param label {@code tcp 22,5432; icmp}, {@code any}; gained ports are not split out (the diff's table lists them) */
    public record GraphEdge(String from, String to, String label, EdgeMark mark) {
        public GraphEdge {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(mark, "mark");
        }
    }

    /** One revision's relation. */
    public static ReachabilityGraph of(FlowSet flows, Map<String, String> vmGroups) {
        return of(flows, FlowSet.EMPTY, FlowSet.EMPTY, vmGroups, Set.of());
    }

    /**
     * The new revision's relation, with the edges that carry {@code gained} flows marked, and the edges only
     * {@code lost} flows had drawn as lost.
     *
     * @param vmGroups every VM's group, of both revisions
     * @param broken   edges that carry traffic an invariant forbids, as (source label, destination label)
     */
    public static ReachabilityGraph of(FlowSet after, FlowSet gained, FlowSet lost, Map<String, String> vmGroups,
                                       Set<Map.Entry<String, String>> broken) {
        Map<String, NodeKind> kinds = new TreeMap<>();
        Comparator<List<String>> pairs = Comparator.comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1));
        Map<List<String>, List<FlowEntry>> byEdge = new TreeMap<>(pairs);
        Set<List<String>> gainedEdges = new TreeSet<>(pairs);
        collect(after, vmGroups, kinds, byEdge, null);
        collect(gained, vmGroups, kinds, new TreeMap<>(pairs), gainedEdges);
        Map<List<String>, List<FlowEntry>> lostOnly = new TreeMap<>(pairs);
        collect(lost, vmGroups, kinds, lostOnly, null);
        byEdge.keySet().forEach(lostOnly::remove);

        List<GraphEdge> all = new ArrayList<>();
        byEdge.forEach((k, flows) -> all.add(new GraphEdge(k.get(0), k.get(1), label(flows),
                broken.contains(Map.entry(k.get(0), k.get(1))) ? EdgeMark.BROKEN : gainedEdges.contains(k) ? EdgeMark.GAINED : EdgeMark.NONE)));
        lostOnly.forEach((k, flows) -> all.add(new GraphEdge(k.get(0), k.get(1), label(flows), EdgeMark.LOST)));

        // Keep marked edges first, then the rest, within both caps.
        List<GraphEdge> byPriority = all.stream().sorted(Comparator.comparing(GraphEdge::mark)).toList();
        List<GraphEdge> kept = new ArrayList<>();
        Set<String> keptNodes = new TreeSet<>();
        for (GraphEdge e : byPriority) {
            Set<String> with = new TreeSet<>(keptNodes);
            with.add(e.from());
            with.add(e.to());
            if (kept.size() < MAX_EDGES && with.size() <= MAX_NODES) {
                kept.add(e);
                keptNodes = with;
            }
        }
        // Nodes without edges (an isolated group) are shown too, while there is room: isolation is worth seeing.
        for (String n : kinds.keySet()) {
            if (keptNodes.size() < MAX_NODES) {
                keptNodes.add(n);
            }
        }
        List<String> order = keptNodes.stream().sorted(Comparator.comparing((String n) -> kinds.get(n)).thenComparing(n -> n)).toList();
        Map<String, String> ids = new LinkedHashMap<>();
        List<GraphNode> nodes = new ArrayList<>();
        for (String n : order) {
            String id = "n" + ids.size();
            ids.put(n, id);
            nodes.add(new GraphNode(id, n, kinds.get(n)));
        }
        List<GraphEdge> edges = kept.stream().sorted(Comparator.comparing((GraphEdge e) -> order.indexOf(e.from()))
                        .thenComparing(e -> order.indexOf(e.to())))
                .map(e -> new GraphEdge(ids.get(e.from()), ids.get(e.to()), e.label(), e.mark())).toList();
        return new ReachabilityGraph(nodes, edges, all.size() - kept.size(), kinds.size() - nodes.size());
    }

    /**
     * The node a flow endpoint belongs to ({@code vm:web-1} is {@code group web}, {@code host:hv1} is {@code host hv1}),
     * for naming edges to mark from outside, e.g. an invariant's breach.
     */
    public static String nodeOf(String endpoint, Map<String, String> vmGroups) {
        return node(endpoint, vmGroups, new TreeMap<>());
    }

    public boolean capped() {
        return omittedEdges > 0 || omittedNodes > 0;
    }

    /** Node labels by flow endpoint name: {@code vm:web-1} is its group, {@code host:hv1} the host, and so on. */
    private static void collect(FlowSet flows, Map<String, String> vmGroups, Map<String, NodeKind> kinds,
                                Map<List<String>, List<FlowEntry>> byEdge, Set<List<String>> keys) {
        for (FlowEntry e : flows.entries()) {
            String from = node(e.source(), vmGroups, kinds);
            String destination = e.destination();
            String via = "";
            int at = destination.indexOf(" via host tcp ");
            if (at >= 0) {
                via = " via host " + destination.substring(at + " via host tcp ".length());
                destination = destination.substring(0, at);
            }
            String to = node(destination, vmGroups, kinds);
            List<String> key = List.of(from, to);
            byEdge.computeIfAbsent(key, k -> new ArrayList<>()).add(new FlowEntry(from, to, e.protocol() + via, e.ports()));
            if (keys != null) {
                keys.add(key);
            }
        }
    }

    private static String node(String endpoint, Map<String, String> vmGroups, Map<String, NodeKind> kinds) {
        String label;
        NodeKind kind;
        if (endpoint.startsWith("vm:")) {
            String vm = endpoint.substring(3);
            label = "group " + Objects.requireNonNull(vmGroups.get(vm), () -> "no group for vm " + vm);
            kind = NodeKind.GROUP;
        } else if (endpoint.startsWith("host:")) {
            label = "host " + endpoint.substring(5);
            kind = NodeKind.HOST;
        } else if (endpoint.equals("host")) {
            label = "host";
            kind = NodeKind.HOST;
        } else if (endpoint.equals("internet")) {
            label = "internet";
            kind = NodeKind.INTERNET;
        } else if (endpoint.startsWith("outside:")) {
            label = "outside " + endpoint.substring(8);
            kind = NodeKind.OUTSIDE;
        } else {
            label = endpoint;
            kind = NodeKind.PREFIX;
        }
        kinds.put(label, kind);
        return label;
    }

    /** {@code any}; {@code tcp 22,5432; udp 53; icmp}; ports merged across the members of both ends. */
    private static String label(List<FlowEntry> flows) {
        FlowSet merged = FlowSet.of(flows);
        Map<String, String> byProtocol = new TreeMap<>();
        merged.entries().forEach(e -> byProtocol.put(e.protocol(), e.ports()));
        if ("*".equals(byProtocol.get("tcp")) && "*".equals(byProtocol.get("udp")) && byProtocol.containsKey("icmp")) {
            return "any";
        }
        List<String> parts = new ArrayList<>();
        byProtocol.forEach((p, ports) -> {
            int via = p.indexOf(" via host ");
            String protocol = via < 0 ? p : p.substring(0, via);
            parts.add(protocol + (ports.isEmpty() ? "" : " " + ports) + (via < 0 ? "" : " via host port " + p.substring(via + " via host ".length())));
        });
        String label = String.join("; ", parts);
        return label.length() <= MAX_LABEL ? label : label.substring(0, MAX_LABEL - 1) + "…";
    }
}
