package io.qfence.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.host.Scope;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import io.qfence.model.host.ObservedHost;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Issue 22's property: over random desired states, observed hosts (guests running, paused, crashed, objects missing)
 * and scopes, either the plan is refused with an error naming a running guest, or after every prefix of its steps
 * every guest that runs still has its tap, its cgroup, and every firewall rule that isolated it when it began to run
 * (when the plan began, or when it started the guest: then apply's preconditions and the in-memory host require its
 * tap and cgroup)
 * (the anti-spoofing of a bridged guest, its group's drops, the {@code meta skuid} dispatch and drops of a user-mode
 * guest). The rules are recognised here by the comments {@link Scenario} gives them, independently of how the
 * planner's guard ({@link GuestIsolation}) reads rules.
 */
class RunningGuestIsolationProperties {

    record Case(PlannerProperties.Case base, Scope scope) {
        @Override
        public String toString() {
            return "scope=" + scope + "\n" + base;
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Set<Scope.Part>> parts = Arbitraries.of(Scope.Part.class).set().ofMinSize(1)
                .map(s -> s.isEmpty() ? EnumSet.allOf(Scope.Part.class) : EnumSet.copyOf(s));
        return Combinators.combine(new PlannerProperties().cases(), parts).as((c, p) -> new Case(c, new Scope(p)));
    }

    private static boolean live(HostObject o) {
        return o instanceof Guest g && (g.state() == GuestState.RUNNING || g.state() == GuestState.PAUSED);
    }

    @Property(tries = 500)
    void afterEveryPrefixOfAnyPlanEveryRunningGuestHasItsTapFirewallRulesAndCgroups(@ForAll("cases") Case c) {
        Scope scope = c.scope();
        List<HostObject> desired = c.base().desired().stream().filter(scope::includes).toList();
        List<HostObject> observed = c.base().observed().stream().filter(scope::includes).toList();
        List<HostObject> outOfScope = c.base().observed().stream().filter(o -> !scope.includes(o) && (o instanceof Guest || o instanceof Link))
                .toList();
        Plan plan = Planner.plan(desired, new ObservedHost("hv1", HostFacts.TYPICAL, observed, List.of(), List.of(), List.of()),
                new PlanOptions(c.base().lastApplied().map(l -> l.stream().filter(scope::includes).toList()), outOfScope));
        Statistics.label("scope").collect(scope.toString());
        if (!plan.isApplicable()) {
            Statistics.label("outcome").collect("refused");
            assertThat(plan.errors()).allMatch(e -> e.matches(".* of group\\.[a-z]+/vm\\.[a-z0-9-]+, which is (running|paused); the plan must stop it first.*"));
            return;
        }
        Statistics.label("outcome").collect("applicable");
        InMemoryHost host = new InMemoryHost(c.base().observed(), desired);
        Map<String, Set<String>> held = new HashMap<>();
        check(host, held, "before the plan");
        for (Change step : plan.changes()) {
            try {
                host.applyStep(step);
            } catch (IllegalStateException e) {
                if (step.kind() == ObjectKind.GUEST && e.getMessage().contains("started")) {
                    // apply's precondition refuses to start a guest outside its isolation: the apply stops here
                    Statistics.label("stopped by a start precondition").collect(true);
                    return;
                }
                throw e;
            }
            if (step.kind() == ObjectKind.GUEST) {
                held.remove(step.address()); // stopped (and started again: a new process, with what it has now)
            }
            check(host, held, "after step " + plan.stepOf(step) + " " + PlanAssert.step(step));
        }
    }

    /** Every live guest has its tap, its cgroup, and every isolating rule it had when it began to run here. */
    private static void check(InMemoryHost host, Map<String, Set<String>> held, String when) {
        List<HostObject> objects = host.objects();
        Optional<Firewall> firewall = objects.stream().filter(Firewall.class::isInstance).map(Firewall.class::cast).findFirst();
        Set<String> running = new TreeSet<>();
        for (HostObject o : objects) {
            if (!live(o)) {
                continue;
            }
            Guest g = (Guest) o;
            running.add(g.address());
            // what it has when first seen running: a host observed with a guest's tap deleted outside qfence is not the
            // plan's doing; taking away what it has is
            Set<String> now = isolation(firewall, g);
            g.launch().tap().filter(tap -> objects.stream().anyMatch(x -> x instanceof Link l && l.name().equals(tap)))
                    .ifPresent(tap -> now.add("tap " + tap));
            if (objects.stream().anyMatch(x -> x instanceof Cgroup cg && cg.path().equals(g.launch().cgroupPath()))) {
                now.add("cgroup " + g.launch().cgroupPath());
            }
            Set<String> before = held.computeIfAbsent(g.address(), a -> now);
            assertThat(now).as(when + ": the tap, cgroup and firewall rules of running " + g.address()).containsAll(before);
        }
        held.keySet().retainAll(running);
    }

    /** The rules of the stand-in ruleset that isolate {@code g}, by their comments (and the dispatch entry). */
    private static Set<String> isolation(Optional<Firewall> firewall, Guest g) {
        Set<String> out = new TreeSet<>();
        if (firewall.isEmpty()) {
            return out;
        }
        String userChain = "user_" + g.vm().replace('-', '_');
        for (NftTable t : firewall.get().tables()) {
            for (NftChain ch : t.chains()) {
                for (NftRule r : ch.rules()) {
                    if (g.launch().tap().isPresent()) {
                        if (r.comment().equals("qf:antispoof:" + g.vm()) || r.comment().equals("qf:drop:" + g.group())
                                || r.comment().equals("qf:host:" + g.group())) {
                            out.add(t.qualifiedName() + " " + r.comment() + " " + r.expr());
                        }
                    } else if (r.comment().equals("qf:dispatch") && r.expr().contains("[" + g.uid() + ",{\"jump\":{\"target\":\"" + userChain + "\"}}]")) {
                        out.add("dispatch " + g.uid() + " -> " + userChain);
                    } else if (ch.name().equals(userChain) && r.expr().contains("\"drop\"")) {
                        out.add(userChain + " " + r.expr());
                    }
                }
            }
        }
        return out;
    }
}
