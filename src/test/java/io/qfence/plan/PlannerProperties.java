package io.qfence.plan;

import static io.qfence.plan.PlanAssert.assertThat;

import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Scenario.Group;
import io.qfence.plan.Scenario.Vm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.assertj.core.api.Assertions;

/**
 * Properties of planning over random desired states and random hosts drawn from one small universe (three groups of
 * up to three VMs, each with a few variants of every attribute that matters to the planner), so that desired and
 * observed overlap, differ in every way, and are sometimes missing objects or have crashed and paused guests.
 */
class PlannerProperties {

    private static final List<String> GROUPS = List.of("web", "db", "ops");

    /** A desired state, a host (as observed) and a record of the last apply, which may be absent. */
    record Case(List<HostObject> desired, List<HostObject> observed, Optional<List<HostObject>> lastApplied) {
        ObservedHost host() {
            return new ObservedHost("hv1", HostFacts.TYPICAL, observed, List.of(), List.of(), List.of());
        }

        PlanOptions options() {
            return new PlanOptions(lastApplied);
        }

        @Override
        public String toString() {
            return "desired=" + desired.stream().map(HostObject::address).toList() + "\nobserved=" + observed;
        }
    }

    static Arbitrary<Vm> vm(String group, int index, boolean desired) {
        String name = group + "-0" + index;
        long uid = 2000 + 10L * GROUPS.indexOf(group) + index;
        Arbitrary<GuestState> state = desired ? Arbitraries.of(GuestState.RUNNING, GuestState.RUNNING, GuestState.STOPPED)
                : Arbitraries.of(GuestState.RUNNING, GuestState.RUNNING, GuestState.PAUSED, GuestState.CRASHED, GuestState.STOPPED);
        return Combinators.combine(Arbitraries.of(uid, uid + 500), Arbitraries.of(64, 96), Arbitraries.of(1, 2), state,
                        Arbitraries.of(true, true, true, false), Arbitraries.of(false, false, true))
                .as((u, mem, cpus, st, bridged, renamed) -> new Vm(name, u, mem, cpus, st, bridged, renamed));
    }

    static Arbitrary<Group> group(String name, boolean desired) {
        Arbitrary<List<Vm>> vms = Combinators.combine(vm(name, 1, desired).optional(0.8), vm(name, 2, desired).optional(0.6),
                vm(name, 3, desired).optional(0.4)).as((a, b, c) -> {
                    List<Vm> l = new ArrayList<>();
                    a.ifPresent(l::add);
                    b.ifPresent(l::add);
                    c.ifPresent(l::add);
                    return l;
                });
        Arbitrary<List<String>> exceptions = Arbitraries.of("qfb-x", "qfb-y", "qfb-z").list().uniqueElements().ofMaxSize(2);
        return Combinators.combine(Arbitraries.of(1500, 1500, 9000), Arbitraries.of("qfence", "qfence", "qfence.slice"),
                        Arbitraries.of(true, false), exceptions, Arbitraries.of(512, 1024), vms)
                .as((mtu, parent, routed, ex, pids, v) -> new Group(name, GROUPS.indexOf(name) + 1, mtu, parent, routed, ex, pids, v));
    }

    static Arbitrary<List<Group>> groups(boolean desired) {
        return Combinators.combine(group("web", desired).optional(0.8), group("db", desired).optional(0.6), group("ops", desired).optional(0.4))
                .as((a, b, c) -> {
                    List<Group> l = new ArrayList<>();
                    a.ifPresent(l::add);
                    b.ifPresent(l::add);
                    c.ifPresent(l::add);
                    return l;
                });
    }

    /** What observation could report for a realization: some objects missing, guests in any state. */
    static List<HostObject> observe(List<HostObject> realized, long seed) {
        Random r = new Random(seed);
        List<HostObject> out = new ArrayList<>();
        for (HostObject o : Scenario.asObserved(realized)) {
            if (r.nextInt(10) == 0) {
                continue; // deleted outside qfence
            }
            if (o instanceof Guest g && g.state() == GuestState.CRASHED) {
                out.add(g.withRuntime(new GuestRuntime(OptionalLong.empty(), Optional.empty(), Optional.of("killed by SIGKILL"))));
            } else {
                out.add(o);
            }
        }
        return out;
    }

    /** The desired groups with a few attributes changed: a host close to the desired state, as most hosts are. */
    static List<Group> nearby(List<Group> want, Random r) {
        List<Group> out = new ArrayList<>();
        for (Group g : want) {
            List<Vm> vms = new ArrayList<>();
            for (Vm v : g.vms()) {
                switch (r.nextInt(12)) {
                    case 0 -> v = v.memory(v.memoryMi() == 64 ? 96 : 64);
                    case 1 -> v = v.uid(v.uid() + 1);
                    case 2 -> v = v.renamedTap(!v.renamedTap());
                    case 3 -> v = v.state(GuestState.values()[r.nextInt(GuestState.values().length)]);
                    case 4 -> v = v.cpus(3);
                    default -> { }
                }
                vms.add(v);
            }
            Group h = g.vms(vms.toArray(Vm[]::new));
            switch (r.nextInt(8)) {
                case 0 -> h = h.cgroupParent(h.cgroupParent().equals("qfence") ? "qfence.slice" : "qfence");
                case 1 -> h = h.mtu(h.mtu() == 1500 ? 9000 : 1500);
                case 2 -> h = h.exceptions(new String[0]);
                case 3 -> h = h.pids(h.pidsLimit() + 1);
                case 4 -> h = h.routed(!h.routed());
                default -> { }
            }
            out.add(h);
        }
        return out;
    }

    @Provide
    Arbitrary<Case> cases() {
        return Combinators.combine(groups(true), groups(false), Arbitraries.longs(), Arbitraries.integers().between(0, 2), Arbitraries.of(true, false))
                .as((want, independent, seed, history, near) -> {
                    List<HostObject> desired = Scenario.realize(want);
                    List<Group> have = near ? nearby(want, new Random(seed)) : independent;
                    List<HostObject> haveRealized = Scenario.realize(have);
                    Optional<List<HostObject>> last = switch (history) {
                        case 0 -> Optional.empty();
                        case 1 -> Optional.of(desired);
                        default -> Optional.of(haveRealized.stream().filter(o -> !(o instanceof Guest g) || g.state() == GuestState.RUNNING
                                || g.state() == GuestState.STOPPED).toList());
                    };
                    return new Case(desired, observe(haveRealized, seed), last);
                });
    }

    @Property(tries = 300)
    void applyingAPlanAndPlanningAgainGivesAnEmptyPlan(@ForAll("cases") Case c) {
        Plan plan = Planner.plan(c.desired(), c.host(), c.options());
        InMemoryHost host = new InMemoryHost(c.observed(), c.desired());

        host.apply(plan);

        assertThat(Planner.plan(c.desired(), host.observe(), c.options())).isEmpty();
        assertThat(Planner.plan(c.desired(), host.observe(), PlanOptions.withLastApplied(c.desired()))).isEmpty();
    }

    @Property(tries = 400)
    void everyPlanIsFailClosed(@ForAll("cases") Case c) {
        Plan plan = Planner.plan(c.desired(), c.host(), c.options());

        assertThat(plan).isFailClosed(c.desired(), c.observed());
        Statistics.label("two firewall transactions").collect(plan.changes().stream().filter(x -> x.kind() == ObjectKind.FIREWALL).count() == 2);
        Statistics.label("split replacement").collect(plan.changes().stream().map(Change::address).distinct().count()
                < plan.changes().stream().filter(x -> x.kind() != ObjectKind.FIREWALL).count() + (plan.changes().stream().anyMatch(x -> x.kind() == ObjectKind.FIREWALL) ? 1 : 0));
        Statistics.label("restart").collect(plan.changes().stream().anyMatch(x -> x.kind() == ObjectKind.GUEST && x.action().isReplace()));
        Statistics.label("cascade").collect(plan.changes().stream().anyMatch(x -> x.reason() instanceof Reason.Cascade));
        Statistics.label("drift").collect(!plan.drift().isEmpty());
    }

    @Property(tries = 200)
    void planningIsDeterministicWhateverTheInputOrder(@ForAll("cases") Case c, @ForAll Random random) {
        Plan first = Planner.plan(c.desired(), c.host(), c.options());
        List<HostObject> shuffled = new ArrayList<>(c.desired());
        Collections.shuffle(shuffled, random);
        List<HostObject> observed = new ArrayList<>(c.observed());
        Collections.shuffle(observed, random);

        Plan second = Planner.plan(shuffled, new ObservedHost("hv1", HostFacts.TYPICAL, observed, List.of(), List.of(), List.of()), c.options());

        Assertions.assertThat(second).isEqualTo(first);
    }

    @Property(tries = 200)
    void planningAgainstTheRealizationItselfIsEmpty(@ForAll("cases") Case c) {
        ObservedHost exact = new ObservedHost("hv1", HostFacts.TYPICAL, Scenario.asObserved(c.desired()), List.of(), List.of(), List.of());

        assertThat(Planner.plan(c.desired(), exact)).isEmpty();
    }
}
