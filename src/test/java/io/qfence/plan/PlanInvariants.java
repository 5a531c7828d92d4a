package io.qfence.plan;

import io.qfence.model.host.Addresses;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftRule.Effect;
import io.qfence.model.host.NftTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The fail-closed ordering rules, checked on a finished plan independently of how the planner builds it.
 */
final class PlanInvariants {

    private PlanInvariants() {}

    private static boolean brings(Change c) {
        return c.action() != Action.DELETE && c.action() != Action.STOP;
    }

    private static boolean removes(Change c) {
        return c.action() == Action.DELETE || c.action() == Action.STOP || c.action().isReplace();
    }

    static List<String> violations(Plan plan, List<HostObject> desired, List<HostObject> observed) {
        List<String> v = new ArrayList<>();
        List<Change> changes = plan.changes();
        World want = World.of(desired, "desired");
        World have = World.of(observed, "observed");
        Map<String, List<Integer>> at = new java.util.HashMap<>();
        for (int i = 0; i < changes.size(); i++) {
            at.computeIfAbsent(changes.get(i).address(), a -> new ArrayList<>()).add(i);
        }
        for (int i = 0; i < changes.size(); i++) {
            Change c = changes.get(i);
            // parents (and a guest's tap, cgroup, firewall, host settings) first when something comes into being
            if (brings(c)) {
                for (String dep : want.dependenciesOf(c.after().orElseThrow())) {
                    for (int j : at.getOrDefault(dep, List.of())) {
                        if (brings(changes.get(j)) && j > i) {
                            v.add("step " + i + " " + PlanAssert.step(c) + " runs before its dependency " + PlanAssert.step(changes.get(j)));
                        }
                    }
                }
            }
            // children first when something goes: a guest stops before its tap and cgroup go, a port before its bridge
            if (removes(c)) {
                for (String dep : have.dependenciesOf(c.before().orElseThrow())) {
                    for (int j : at.getOrDefault(dep, List.of())) {
                        if (removes(changes.get(j)) && j < i && !dep.equals(Addresses.FIREWALL)) {
                            v.add("step " + i + " " + PlanAssert.step(c) + " runs after its dependency goes: " + PlanAssert.step(changes.get(j)));
                        }
                    }
                }
            }
        }
        checkFirewall(plan, desired, observed, v);
        // at most one change per object, except two firewall transactions or a replacement split around a dependency
        at.forEach((address, idx) -> {
            if (idx.size() > 2) {
                v.add(address + " changes " + idx.size() + " times");
            }
        });
        return v;
    }

    /** Rules by expression: a new comment is not new access. */
    private static Set<NftRule> rules(Firewall f) {
        Set<NftRule> s = new HashSet<>();
        for (NftTable t : f.tables()) {
            for (NftChain c : t.chains()) {
                c.rules().forEach(r -> s.add(new NftRule(r.expr(), "", r.effect())));
            }
        }
        return s;
    }

    private static void checkFirewall(Plan plan, List<HostObject> desired, List<HostObject> observed, List<String> v) {
        List<Change> changes = plan.changes();
        Firewall want = desired.stream().filter(Firewall.class::isInstance).map(Firewall.class::cast).findFirst().orElse(null);
        Map<NftRule, Effect> labels = want == null ? Map.of()
                : want.tables().stream().flatMap(t -> t.chains().stream()).flatMap(c -> c.rules().stream())
                        .collect(Collectors.toMap(r -> new NftRule(r.expr(), "", r.effect()), NftRule::effect, (a, b) -> a));
        List<Integer> fw = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            if (changes.get(i).address().equals(Addresses.FIREWALL)) {
                fw.add(i);
            }
        }
        for (int i : fw) {
            Change c = changes.get(i);
            if (c.action() == Action.DELETE) {
                if (i != changes.size() - 1) {
                    v.add("the firewall is removed before other changes");
                }
                continue;
            }
            // widening: a rule that grants appears, or a rule that does not grant disappears
            Set<NftRule> before = c.before().map(b -> rules((Firewall) b)).orElse(Set.of());
            Set<NftRule> after = rules((Firewall) c.after().orElseThrow());
            boolean widens = c.action() != Action.CREATE
                    && (after.stream().anyMatch(r -> !before.contains(r) && effect(labels, r) == Effect.GRANT)
                    || before.stream().anyMatch(r -> !after.contains(r) && effect(labels, r) != Effect.GRANT));
            if (!widens && i != 0) {
                v.add("a firewall change that only narrows runs at step " + i + ", not first");
            }
            if (widens) {
                for (int j = 0; j < changes.size(); j++) {
                    Change o = changes.get(j);
                    boolean guestStart = o.kind() == ObjectKind.GUEST && brings(o);
                    boolean finalStop = o.action() == Action.STOP && !startedLater(changes, j);
                    if (guestStart && j < i) {
                        v.add("guest " + o.address() + " starts before the widening firewall transaction");
                    }
                    if ((o.kind() == ObjectKind.LINK || o.kind() == ObjectKind.CGROUP || o.kind() == ObjectKind.SYSCTL || finalStop) && j > i) {
                        v.add(PlanAssert.step(o) + " runs after the widening firewall transaction");
                    }
                }
            }
        }
        if (fw.size() == 2) {
            Change first = changes.get(fw.get(0));
            if (!(first.reason() instanceof Reason.NarrowingFirst)) {
                v.add("two firewall transactions but the first does not narrow first");
            }
        }
        if (fw.size() > 2) {
            v.add("more than two firewall transactions");
        }
        if (want != null && !fw.isEmpty() && !Objects.equals(changes.get(fw.get(fw.size() - 1)).after().orElse(null), want)) {
            v.add("the last firewall transaction does not install the desired ruleset");
        }
    }

    private static Effect effect(Map<NftRule, Effect> labels, NftRule r) {
        Effect e = labels.containsKey(r) ? labels.get(r) : FirewallSteps.inferred(r.expr());
        return e == Effect.UNKNOWN ? Effect.GRANT : e;
    }

    private static boolean startedLater(List<Change> changes, int j) {
        String address = changes.get(j).address();
        for (int k = j + 1; k < changes.size(); k++) {
            if (changes.get(k).address().equals(address) && changes.get(k).action() == Action.START) {
                return true;
            }
        }
        return false;
    }

    static boolean isLive(Guest g) {
        return g.state() == GuestState.RUNNING || g.state() == GuestState.PAUSED;
    }
}
