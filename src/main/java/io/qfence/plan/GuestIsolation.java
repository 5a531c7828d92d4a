package io.qfence.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The guard that no plan, whatever its scope and order, leaves a running guest without its isolation (issue 22).
 *
 * <p>It walks a plan's steps in order, as apply runs them, keeping the set of guests that run at each point: those
 * observed running or paused (in scope or not), minus those the plan has stopped so far, plus those it has started.
 * A step is refused when, for a guest running at that point, it
 * <ul>
 *   <li>deletes or replaces its tap;</li>
 *   <li>deletes or replaces its cgroup or a cgroup above it (the directory cannot go while the guest is inside, and
 *       the guest must never run outside its limits);</li>
 *   <li>changes the firewall so that one of the guest's <em>restrictions</em> is gone (below).</li>
 * </ul>
 *
 * <p><b>A guest's restrictions in a ruleset</b> are read from the rules themselves, not from the realizer's layout, so
 * that they can be computed for an observed ruleset that nothing labelled: the guest is <em>named</em> by its tap,
 * the bridge its tap is a port of (where the observed links say so), a {@code qft-*}/{@code qfb-*} style wildcard
 * that matches one of those, or its uid under {@code meta skuid} (literally, or through a uid set that holds it).
 * Its restrictions are
 * <ul>
 *   <li>every rule that names it and ends in {@code drop} or {@code reject};</li>
 *   <li>every rule that names it and jumps (or goes) to a chain, with every {@code drop}/{@code reject} rule of that
 *       chain;</li>
 *   <li>every verdict-map entry whose key names it (the {@code meta skuid vmap} dispatch of a user-mode guest, the
 *       {@code iifname vmap} dispatch of its bridge), with the drops of the chain it jumps to;</li>
 *   <li>its uid's membership of a set that such a rule matches with {@code ==} (the uid set of bridged guests).</li>
 * </ul>
 * Grants (rules ending in {@code accept}) are not restrictions: taking one away only narrows. A restriction that
 * changes its text (a different drop) counts as gone: the guard would rather refuse a plan than reason about
 * equivalent rules. Why not simply "the guest's rules in the desired ruleset": a VM no longer desired has none there,
 * and that is exactly the case (found by a kill trial) where {@code apply --scope firewall} removed the
 * {@code meta skuid} dispatch of a user-mode guest that still ran, which then reached the host's loopback.
 */
final class GuestIsolation {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GuestIsolation() {}

    private static boolean live(HostObject o) {
        return o instanceof Guest g && (g.state() == GuestState.RUNNING || g.state() == GuestState.PAUSED);
    }

    /**
     * Why {@code changes} (in execution order) cannot be applied without leaving a running guest without its
     * isolation; empty when they can.
     *
     * @param observed   the host as observed (its links name each tap's bridge, its firewall is the starting point)
     * @param outOfScope guests and links observed outside the plan's scope: the plan cannot stop those guests, so
     *                   the running ones run throughout; links tell which bridge each tap is a port of
     */
    static List<String> violations(List<Change> changes, World observed, List<HostObject> outOfScope) {
        Map<String, Guest> running = new LinkedHashMap<>();
        observed.byAddress.values().stream().filter(GuestIsolation::live).map(Guest.class::cast).forEach(g -> running.put(g.address(), g));
        outOfScope.stream().filter(GuestIsolation::live).map(Guest.class::cast).forEach(g -> running.putIfAbsent(g.address(), g));
        if (running.isEmpty()) {
            return List.of();
        }
        Map<String, String> bridgeOfTap = new LinkedHashMap<>();
        List<HostObject> everything = new ArrayList<>(observed.byAddress.values());
        everything.addAll(outOfScope);
        for (HostObject o : everything) {
            if (o instanceof Link l && l.master().isPresent()) {
                bridgeOfTap.put(l.name(), l.master().get());
            }
        }
        List<String> errors = new ArrayList<>();
        TreeSet<String> reported = new TreeSet<>();
        for (Change c : changes) {
            if (c.kind() == ObjectKind.GUEST) {
                if (c.action() == Action.STOP || c.action() == Action.REPLACE_DELETE_BEFORE_CREATE) {
                    running.remove(c.address());
                }
                if (c.action() == Action.START || c.action() == Action.REPLACE_DELETE_BEFORE_CREATE) {
                    running.put(c.address(), (Guest) c.after().orElseThrow());
                }
                continue;
            }
            for (Guest g : running.values()) {
                Optional<String> why = removes(c, g, bridgeOfTap);
                if (why.isPresent() && reported.add(g.address() + " " + c.address() + " " + why.get())) {
                    errors.add(c.address() + " would " + why.get() + " of " + g.address() + ", which is "
                            + g.state().name().toLowerCase(java.util.Locale.ROOT)
                            + "; the plan must stop it first (include guests in the scope, or stop the guest)");
                }
            }
        }
        return errors;
    }

    /** What {@code c} would take away from the running guest {@code g}, if anything. */
    private static Optional<String> removes(Change c, Guest g, Map<String, String> bridgeOfTap) {
        boolean goes = c.action() == Action.DELETE || c.action().isReplace();
        HostObject before = c.before().orElse(null);
        if (goes && before instanceof Link l && g.launch().tap().filter(l.name()::equals).isPresent()) {
            return Optional.of("remove the tap");
        }
        if (goes && before instanceof Cgroup cg && (cg.path().equals(g.launch().cgroupPath())
                || g.launch().cgroupPath().startsWith(cg.path() + "/"))) {
            return Optional.of("remove the cgroup " + cg.path());
        }
        if (c.kind() == ObjectKind.FIREWALL) {
            GuestTraffic names = GuestTraffic.of(g, bridgeOfTap);
            SortedSet<String> had = before instanceof Firewall f ? restrictions(f, names) : new TreeSet<>();
            SortedSet<String> has = c.after().filter(Firewall.class::isInstance).map(f -> restrictions((Firewall) f, names))
                    .orElseGet(TreeSet::new);
            had.removeAll(has);
            if (!had.isEmpty()) {
                return Optional.of("take away " + had.size() + " firewall restriction" + (had.size() == 1 ? "" : "s")
                        + " (" + shorten(had.first()) + (had.size() > 1 ? ", and " + (had.size() - 1) + " more" : "") + ")");
            }
        }
        return Optional.empty();
    }

    private static String shorten(String s) {
        return s.length() <= 160 ? s : s.substring(0, 157) + "...";
    }

    /** How rules can name a guest: its interface names and its uid. */
    record GuestTraffic(Set<String> interfaces, long uid) {
        static GuestTraffic of(Guest g, Map<String, String> bridgeOfTap) {
            Set<String> ifs = new TreeSet<>();
            g.launch().tap().ifPresent(t -> {
                ifs.add(t);
                Optional.ofNullable(bridgeOfTap.get(t)).ifPresent(ifs::add);
            });
            return new GuestTraffic(ifs, g.uid());
        }

        boolean namesInterface(String text) {
            for (String i : interfaces) {
                if (text.equals(i) || (text.endsWith("*") && i.startsWith(text.substring(0, text.length() - 1)))) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The guest's restrictions in a ruleset (see the class comment), each as one line naming its table, chain and
     * rule (or set and element), comparable between two rulesets.
     */
    static SortedSet<String> restrictions(Firewall firewall, GuestTraffic names) {
        SortedSet<String> out = new TreeSet<>();
        for (NftTable t : firewall.tables()) {
            Map<String, NftChain> chains = new LinkedHashMap<>();
            t.chains().forEach(ch -> chains.put(ch.name(), ch));
            Map<String, NftSet> sets = new LinkedHashMap<>();
            t.sets().forEach(s -> sets.put(s.name(), s));
            for (NftChain ch : t.chains()) {
                for (NftRule r : ch.rules()) {
                    JsonNode expr = parse(r.expr());
                    if (expr == null) {
                        continue;
                    }
                    String where = t.qualifiedName() + " chain " + ch.name() + ": ";
                    // verdict maps: the entries that name the guest
                    for (JsonNode vmap : expr.findValues("vmap")) {
                        boolean byUid = mentionsSkuid(vmap.path("key"));
                        for (JsonNode entry : vmap.path("data").path("set")) {
                            JsonNode key = entry.path(0);
                            JsonNode verdict = entry.path(1);
                            boolean named = byUid ? isUid(key, names.uid()) : key.isTextual() && names.namesInterface(key.asText());
                            if (named) {
                                out.add(where + "vmap " + key + " : " + verdict);
                                target(verdict).ifPresent(x -> drops(t, chains.get(x), out));
                            }
                        }
                    }
                    VerdictKind v = verdict(expr);
                    if (v == VerdictKind.OTHER) {
                        continue;
                    }
                    List<String> viaSets = new ArrayList<>();
                    boolean named = names(expr, names, sets, viaSets);
                    if (!named) {
                        continue;
                    }
                    out.add(where + r.expr());
                    viaSets.forEach(s -> out.add(t.qualifiedName() + " set " + s + " holds " + names.uid()));
                    if (v == VerdictKind.JUMP) {
                        target(expr.get(expr.size() - 1)).ifPresent(x -> drops(t, chains.get(x), out));
                    }
                }
            }
        }
        return out;
    }

    private enum VerdictKind { RESTRICT, JUMP, OTHER }

    private static VerdictKind verdict(JsonNode expr) {
        if (expr.isEmpty()) {
            return VerdictKind.OTHER;
        }
        JsonNode last = expr.get(expr.size() - 1);
        if (last.has("drop") || last.has("reject")) {
            return VerdictKind.RESTRICT;
        }
        if (last.has("jump") || last.has("goto")) {
            return VerdictKind.JUMP;
        }
        return VerdictKind.OTHER;
    }

    private static Optional<String> target(JsonNode verdict) {
        for (String kind : List.of("jump", "goto")) {
            JsonNode t = verdict.path(kind).path("target");
            if (t.isTextual()) {
                return Optional.of(t.asText());
            }
        }
        return Optional.empty();
    }

    /** Every drop or reject of a chain a guest's rule jumps to: what the jump subjects the guest to. */
    private static void drops(NftTable t, NftChain chain, SortedSet<String> out) {
        if (chain == null) {
            out.add(t.qualifiedName() + " chain (missing)");
            return;
        }
        for (NftRule r : chain.rules()) {
            JsonNode expr = parse(r.expr());
            if (expr != null && verdict(expr) == VerdictKind.RESTRICT) {
                out.add(t.qualifiedName() + " chain " + chain.name() + ": " + r.expr());
            }
        }
    }

    /** Whether the matches of a rule name the guest; uid sets it is named through are added to {@code viaSets}. */
    private static boolean names(JsonNode expr, GuestTraffic names, Map<String, NftSet> sets, List<String> viaSets) {
        boolean named = false;
        for (JsonNode stmt : expr) {
            JsonNode match = stmt.path("match");
            if (match.isMissingNode()) {
                continue;
            }
            JsonNode left = match.path("left");
            JsonNode right = match.path("right");
            String op = match.path("op").asText("==");
            if (mentionsSkuid(left)) {
                if (isUid(right, names.uid()) || (right.isArray() && containsUid(right, names.uid()))) {
                    named = true;
                } else if (right.isTextual() && right.asText().startsWith("@") && (op.equals("==") || op.equals("in"))) {
                    NftSet set = sets.get(right.asText().substring(1));
                    if (set != null && set.elements().contains(Long.toString(names.uid()))) {
                        named = true;
                        viaSets.add(set.name());
                    }
                }
            } else if (isInterfaceKey(left) && !op.equals("!=")) {
                if (right.isTextual() && names.namesInterface(right.asText())) {
                    named = true;
                } else if (right.path("set").isArray()) {
                    for (JsonNode e : right.path("set")) {
                        if (e.isTextual() && names.namesInterface(e.asText())) {
                            named = true;
                        }
                    }
                }
            }
        }
        return named;
    }

    private static boolean isInterfaceKey(JsonNode left) {
        String key = left.path("meta").path("key").asText("");
        return key.equals("iifname") || key.equals("oifname");
    }

    private static boolean mentionsSkuid(JsonNode node) {
        return "skuid".equals(node.path("meta").path("key").asText(null));
    }

    private static boolean isUid(JsonNode node, long uid) {
        return (node.isIntegralNumber() && node.asLong() == uid) || (node.isTextual() && node.asText().equals(Long.toString(uid)));
    }

    private static boolean containsUid(JsonNode node, long uid) {
        for (JsonNode e : node.path("set").isArray() ? node.path("set") : node) {
            if (isUid(e, uid)) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode parse(String expr) {
        try {
            JsonNode n = JSON.readTree(expr);
            return n.isArray() ? n : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
