package io.qfence.plan;

import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.plan.Intent.FirewallRole;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Orders intents as a dependency graph, so that applying the changes one by one is fail-closed.
 *
 * <h2>Edges</h2>
 * <ul>
 *   <li>Parents first when something comes into being or changes (a bridge before its ports, a group's cgroup before
 *       its VMs' cgroups, a guest's tap, cgroup, firewall and host settings before it starts); children first when
 *       something goes (a guest stops before its tap and cgroup are deleted; a port before its bridge). The objects
 *       name their dependencies (see {@link World#dependenciesOf}); the desired side is used for what comes into
 *       being, the observed side for what goes.</li>
 *   <li>A port that moves to another bridge leaves its old one before that one is deleted.</li>
 *   <li>Firewall: a transaction that creates the ruleset or only narrows it runs before everything else. A
 *       transaction that widens runs after every link, cgroup and host setting is in place and every removed guest
 *       is stopped, and before any guest starts: a guest boots with its allowed flows working, and access granted by
 *       the change never exists next to access it takes away. Removing the ruleset runs last.</li>
 * </ul>
 *
 * <h2>Replacements</h2>
 * A replacement (and a guest restart) is two nodes, its removal and its creation. If nothing else has to happen
 * between them, they are contracted into one {@code REPLACE} change; if something does (a guest must stop before its
 * tap is replaced and start after), they stay two changes: {@code DELETE}/{@code CREATE}, or {@code STOP}/
 * {@code START}. Contraction is tried for links and cgroups first, then for guests, each by address.
 *
 * <h2>Ties</h2>
 * Among changes that are free to run, a fixed rank (firewall first, host settings, stops, cgroup removals, link
 * removals (consecutive, so that they can be deleted as one kernel transaction), cgroups, links,
 * widening firewall, starts, firewall removal) and then the address decide, so the same input always gives the same
 * plan.
 */
final class ExecutionOrder {

    /** Which part of an intent a node carries. */
    private enum Part {
        WHOLE, FIRST_HALF, SECOND_HALF
    }

    private static final class Node {
        final int id;
        final Intent intent;
        final Part part;
        /** The state this node brings about, if it creates, updates or starts something. */
        final Optional<HostObject> brings;
        /** The object this node removes or stops, if it does. */
        final Optional<HostObject> removes;
        final int rank;

        Node(int id, Intent intent, Part part) {
            this.id = id;
            this.intent = intent;
            this.part = part;
            Action a = intent.action();
            boolean removal;
            boolean bringing;
            switch (part) {
                case WHOLE -> {
                    removal = a == Action.DELETE || a == Action.STOP;
                    bringing = !removal;
                }
                case FIRST_HALF -> {
                    removal = a == Action.REPLACE_DELETE_BEFORE_CREATE;
                    bringing = !removal;
                }
                default -> {
                    removal = a == Action.REPLACE_CREATE_BEFORE_DELETE;
                    bringing = !removal;
                }
            }
            this.removes = removal ? intent.before() : Optional.empty();
            this.brings = bringing ? intent.after() : Optional.empty();
            this.rank = rank(intent, removal);
        }

        boolean isGuestStart() {
            return intent.kind() == ObjectKind.GUEST && brings.isPresent();
        }

        /** The stop half of a restart: not a removal the widening firewall has to wait for. */
        boolean isRestartStop() {
            return intent.kind() == ObjectKind.GUEST && removes.isPresent() && part != Part.WHOLE;
        }

        private static int rank(Intent i, boolean removal) {
            return switch (i.firewallRole()) {
                case FIRST -> 0;
                case WIDEN -> 7;
                case LAST -> 9;
                case NONE -> switch (i.kind()) {
                    case SYSCTL -> 1;
                    case GUEST -> removal ? 2 : 8;
                    // link removals after cgroup removals, so that they are consecutive: the applier deletes a run of
                    // links as one kernel transaction
                    case CGROUP -> removal ? 3 : 5;
                    case LINK -> removal ? 4 : 6;
                    case FIREWALL -> throw new IllegalStateException("firewall intents always have a role");
                };
            };
        }

        /** The change this node stands for when its intent is split. */
        Change change() {
            Intent i = intent;
            if (part == Part.WHOLE) {
                return i.toChange();
            }
            boolean guest = i.kind() == ObjectKind.GUEST;
            if (removes.isPresent()) {
                HostObject before = i.before().orElseThrow();
                return guest
                        ? new Change(i.address(), Action.STOP, i.before(), Optional.of(((Guest) before).withState(GuestState.STOPPED)),
                                i.reason(), i.drift(), i.forces())
                        : new Change(i.address(), Action.DELETE, i.before(), Optional.empty(), i.reason(), i.drift(), i.forces());
            }
            return guest
                    ? new Change(i.address(), Action.START, Optional.of(((Guest) i.before().orElseThrow()).withState(GuestState.STOPPED)),
                            i.after(), i.reason(), i.drift(), i.forces())
                    : new Change(i.address(), Action.CREATE, Optional.empty(), i.after(), i.reason(), i.drift(), i.forces());
        }
    }

    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, List<Node>> byAddress = new HashMap<>();
    private final List<Set<Integer>> succ = new ArrayList<>();
    private final List<Set<Integer>> pred = new ArrayList<>();
    private final int[] rep;
    private final List<int[]> pairs = new ArrayList<>();

    private ExecutionOrder(List<Intent> intents) {
        for (Intent i : intents) {
            if (i.action().isReplace()) {
                Node first = add(i, Part.FIRST_HALF);
                Node second = add(i, Part.SECOND_HALF);
                pairs.add(new int[] {first.id, second.id});
            } else {
                add(i, Part.WHOLE);
            }
        }
        rep = new int[nodes.size()];
        for (int k = 0; k < rep.length; k++) {
            rep[k] = k;
        }
    }

    private Node add(Intent i, Part part) {
        Node n = new Node(nodes.size(), i, part);
        nodes.add(n);
        succ.add(new LinkedHashSet<>());
        pred.add(new LinkedHashSet<>());
        byAddress.computeIfAbsent(i.address(), a -> new ArrayList<>()).add(n);
        return n;
    }

    static List<Change> of(List<Intent> intents, World want, World have) {
        ExecutionOrder order = new ExecutionOrder(intents);
        order.addEdges(want, have);
        order.contract();
        return order.sorted();
    }

    private void edge(Node from, Node to) {
        if (from.id != to.id) {
            succ.get(from.id).add(to.id);
            pred.get(to.id).add(from.id);
        }
    }

    private List<Node> nodesOf(String address) {
        return byAddress.getOrDefault(address, List.of());
    }

    private void addEdges(World want, World have) {
        for (int[] p : pairs) {
            edge(nodes.get(p[0]), nodes.get(p[1]));
        }
        for (Node n : nodes) {
            n.brings.ifPresent(o -> {
                for (String dep : want.dependenciesOf(o)) {
                    nodesOf(dep).stream().filter(m -> m.brings.isPresent() && m.intent != n.intent).forEach(m -> edge(m, n));
                }
            });
            n.removes.ifPresent(o -> {
                for (String dep : have.dependenciesOf(o)) {
                    nodesOf(dep).stream().filter(m -> m.removes.isPresent() && m.intent != n.intent).forEach(m -> edge(n, m));
                }
            });
            if (n.part == Part.WHOLE && n.intent.action() == Action.UPDATE && n.intent.before().orElseThrow() instanceof Link before
                    && !before.master().equals(((Link) n.intent.after().orElseThrow()).master())) {
                have.masterOf(before).ifPresent(old -> nodesOf(old).stream().filter(m -> m.removes.isPresent()).forEach(m -> edge(n, m)));
            }
        }
        for (Node f : nodes) {
            switch (f.intent.firewallRole()) {
                case FIRST -> nodes.stream().filter(x -> x.intent.firewallRole() != FirewallRole.FIRST).forEach(x -> edge(f, x));
                case WIDEN -> {
                    for (Node x : nodes) {
                        if (x.intent.firewallRole() == FirewallRole.NONE) {
                            if (x.isGuestStart()) {
                                edge(f, x);
                            } else if (!x.isRestartStop()) {
                                edge(x, f);
                            }
                        }
                    }
                }
                case LAST -> nodes.stream().filter(x -> x.intent.firewallRole() != FirewallRole.LAST).forEach(x -> edge(x, f));
                case NONE -> { }
            }
        }
    }

    private int find(int k) {
        while (rep[k] != k) {
            rep[k] = rep[rep[k]];
            k = rep[k];
        }
        return k;
    }

    /** Links and cgroups first, then guests; each by address. */
    private void contract() {
        List<int[]> ordered = new ArrayList<>(pairs);
        ordered.sort(Comparator.comparing((int[] p) -> nodes.get(p[0]).intent.kind() == ObjectKind.GUEST)
                .thenComparing(p -> nodes.get(p[0]).intent.address()));
        for (int[] p : ordered) {
            int a = find(p[0]);
            int b = find(p[1]);
            if (!reachableAvoidingDirectEdge(a, b)) {
                merge(a, b);
            }
        }
    }

    /** Whether {@code b} can be reached from {@code a} through at least one other node (then a→b cannot contract). */
    private boolean reachableAvoidingDirectEdge(int a, int b) {
        BitSet seen = new BitSet(nodes.size());
        Deque<Integer> todo = new ArrayDeque<>();
        for (int s : succ.get(a)) {
            if (s != b) {
                todo.push(s);
                seen.set(s);
            }
        }
        while (!todo.isEmpty()) {
            int x = todo.pop();
            if (x == b) {
                return true;
            }
            for (int s : succ.get(x)) {
                if (!seen.get(s)) {
                    seen.set(s);
                    todo.push(s);
                }
            }
        }
        return false;
    }

    private void merge(int a, int b) {
        rep[b] = a;
        for (int p : pred.get(b)) {
            succ.get(p).remove(b);
            if (p != a) {
                succ.get(p).add(a);
                pred.get(a).add(p);
            }
        }
        for (int s : succ.get(b)) {
            pred.get(s).remove(b);
            if (s != a) {
                pred.get(s).add(a);
                succ.get(a).add(s);
            }
        }
        succ.get(a).remove(b);
        pred.get(a).remove(b);
        succ.get(b).clear();
        pred.get(b).clear();
    }

    private List<Change> sorted() {
        Map<Integer, List<Node>> members = new HashMap<>();
        for (Node n : nodes) {
            members.computeIfAbsent(find(n.id), k -> new ArrayList<>()).add(n);
        }
        int[] rank = new int[nodes.size()];
        members.forEach((r, group) -> rank[r] = rankOf(group));
        Comparator<Integer> byPriority = Comparator.comparingInt((Integer r) -> rank[r])
                .thenComparing(r -> nodes.get(r).intent.address())
                .thenComparingInt(r -> r);
        int[] indegree = new int[nodes.size()];
        PriorityQueue<Integer> ready = new PriorityQueue<>(byPriority);
        for (int r : members.keySet()) {
            indegree[r] = pred.get(r).size();
            if (indegree[r] == 0) {
                ready.add(r);
            }
        }
        List<Change> out = new ArrayList<>();
        while (!ready.isEmpty()) {
            int r = ready.poll();
            List<Node> group = members.get(r);
            out.add(group.size() == 1 ? group.get(0).change() : group.get(0).intent.toChange());
            for (int s : succ.get(r)) {
                if (--indegree[s] == 0) {
                    ready.add(s);
                }
            }
        }
        if (out.size() != members.size()) {
            List<String> stuck = members.keySet().stream().filter(r -> indegree[r] > 0).map(r -> nodes.get(r).intent.address())
                    .sorted().distinct().toList();
            throw new IllegalArgumentException("the objects depend on each other in a cycle: " + String.join(", ", stuck));
        }
        return out;
    }

    /** A contracted replacement ranks where its creating half would. */
    private static int rankOf(List<Node> group) {
        return group.stream().filter(n -> n.brings.isPresent()).mapToInt(n -> n.rank).findFirst()
                .orElse(group.stream().mapToInt(n -> n.rank).min().orElseThrow());
    }
}
