package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Origin;
import io.qfence.model.PortRange;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Endpoint;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Invariant;
import io.qfence.model.desired.InvariantRule;
import io.qfence.model.desired.Protocol;
import io.qfence.model.desired.Selector;
import io.qfence.model.desired.Traffic;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.host.HostFacts;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of invariant evaluation over random desired states ({@link RealizationPropertiesTest#generate}) and
 * random invariants: what it accepts holds for the relation that plan realizes, probed the way verify probes it
 * ({@link ReachabilityRelation#allows}); and exceptions only ever take deny satisfactions away.
 */
class InvariantPropertiesTest {

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    /** The state of the seed with random invariants of every kind; empty when the state cannot be realized. */
    static Optional<DesiredState> withInvariants(long seed) {
        DesiredState s = RealizationPropertiesTest.generate(seed);
        Random rnd = new Random(~seed);
        List<Invariant> invariants = new ArrayList<>();
        for (int i = 0, n = 1 + rnd.nextInt(6); i < n; i++) {
            InvariantRule rule = switch (rnd.nextInt(4)) {
                case 0, 1 -> new InvariantRule.Deny(selector(rnd, s), selector(rnd, s), traffic(rnd, false));
                case 2 -> new InvariantRule.Require(selector(rnd, s), selector(rnd, s), traffic(rnd, true));
                default -> new InvariantRule.Limit(selector(rnd, s), rnd.nextInt(4));
            };
            invariants.add(new Invariant("i" + i, "random", rule, new Origin("policies/p.yaml", 1 + i, 7)));
        }
        DesiredState state = new DesiredState(s.revision(), s.hosts(), s.groups(), invariants);
        try {
            Realizer.realize(state, "hv1", HostFacts.TYPICAL, RealizationPropertiesTest.TODAY);
        } catch (InvalidInputException e) {
            return Optional.empty();
        }
        return Optional.of(state);
    }

    private static Selector selector(Random rnd, DesiredState s) {
        List<String> vms = s.placedVms().stream().map(v -> v.vm().name()).toList();
        return switch (rnd.nextInt(6)) {
            case 0 -> vms.isEmpty() ? Selector.HOST : Selector.parse(vms.get(rnd.nextInt(vms.size())));
            case 1 -> Selector.parse("group:" + s.groups().get(rnd.nextInt(s.groups().size())).name());
            case 2 -> Selector.HOST;
            case 3 -> Selector.INTERNET;
            case 4 -> Selector.parse(RealizationPropertiesTest.PREFIXES.get(rnd.nextInt(RealizationPropertiesTest.PREFIXES.size())));
            default -> Selector.parse(s.groups().get(rnd.nextInt(s.groups().size())).subnet().toString());
        };
    }

    private static Traffic traffic(Random rnd, boolean concrete) {
        int kind = rnd.nextInt(concrete ? 3 : 4);
        if (kind == 3) {
            return Traffic.ANY;
        }
        Protocol p = Protocol.values()[kind];
        if (!p.hasPorts()) {
            return new Traffic(Optional.of(p), List.of());
        }
        int first = 1 + rnd.nextInt(9000);
        boolean all = !concrete && rnd.nextBoolean();
        return new Traffic(Optional.of(p), all ? List.of() : List.of(new PortRange(first, first + rnd.nextInt(200))));
    }

    @Property(tries = 300)
    void anAcceptedDenyIsNeverAllowedByTheRealizedRelation(@ForAll("seeds") long seed) {
        Optional<DesiredState> drawn = withInvariants(seed);
        Assume.that(drawn.isPresent());
        DesiredState state = drawn.get();
        Set<String> violated = InvariantCheck.evaluate(state, RealizationPropertiesTest.TODAY).stream()
                .map(v -> v.invariant().name()).collect(Collectors.toSet());
        // the relation plan and verify use: this host's realization, with host facts
        ReachabilityRelation relation = Reachability.of(Realizer.realize(state, "hv1", HostFacts.TYPICAL, RealizationPropertiesTest.TODAY));
        for (Invariant inv : state.invariants()) {
            if (violated.contains(inv.name())) {
                continue;
            }
            if (inv.rule() instanceof InvariantRule.Deny d) {
                for (Principal s : concrete(state, d.from())) {
                    for (Principal t : concrete(state, d.to())) {
                        for (FlowProtocol p : protocols(d.traffic())) {
                            for (int port : ports(state, d.traffic())) {
                                assertThat(relation.allows(s, t, p, port))
                                        .as("%s accepted, yet %s -> %s %s %d is allowed", inv.rule(), s, t, p, port).isFalse();
                            }
                        }
                    }
                }
            } else if (inv.rule() instanceof InvariantRule.Require r) {
                FlowProtocol p = FlowProtocol.of(r.traffic().protocol().orElseThrow());
                for (Principal s : concrete(state, r.from())) {
                    for (Principal t : concrete(state, r.to())) {
                        if (s.equals(t) || s instanceof Principal.Prefix || t instanceof Principal.Prefix) {
                            continue;
                        }
                        int port = r.traffic().ports().isEmpty() ? 0 : r.traffic().ports().get(0).first();
                        assertThat(relation.allows(s, t, p, port)).as("%s accepted, yet %s -> %s %s %d is denied", inv.rule(), s, t, p, port).isTrue();
                    }
                }
            }
        }
    }

    @Property(tries = 300)
    void addingAnExceptionOnlyEverRemovesDenySatisfactions(@ForAll("seeds") long seed) {
        Optional<DesiredState> drawn = withInvariants(seed);
        Assume.that(drawn.isPresent());
        DesiredState before = drawn.get();
        Random rnd = new Random(seed * 31 + 7);
        List<String> vms = before.placedVms().stream().map(v -> v.vm().name()).toList();
        List<String> endpoints = new ArrayList<>(List.of("host", "internet", "192.0.2.0/24", "10.0.0.0/8"));
        endpoints.addAll(vms);
        before.groups().forEach(g -> endpoints.add("group:" + g.name()));
        Protocol p = Protocol.values()[rnd.nextInt(3)];
        int first = 1 + rnd.nextInt(9000);
        FirewallException added = new FirewallException(Endpoint.parse(endpoints.get(rnd.nextInt(endpoints.size()))),
                Endpoint.parse(endpoints.get(rnd.nextInt(endpoints.size()))), p, p.hasPorts() ? List.of(new PortRange(first, first + 10)) : List.of(),
                Optional.empty(), Optional.empty(), Origin.UNKNOWN);
        int target = rnd.nextInt(before.groups().size());
        List<Group> groups = new ArrayList<>(before.groups());
        groups.set(target, Fixtures.withAllow(groups.get(target), added));
        DesiredState after = new DesiredState(before.revision(), before.hosts(), groups, before.invariants());
        try {
            Realizer.realize(after, "hv1", HostFacts.TYPICAL, RealizationPropertiesTest.TODAY);
        } catch (InvalidInputException e) {
            Assume.that(false);
        }
        assertThat(satisfiedDenies(after)).isSubsetOf(satisfiedDenies(before));
    }

    @Property(tries = 200)
    void invariantsAreJudgedByTheRelationDiffAndPlanUse(@ForAll("seeds") long seed) {
        Optional<DesiredState> drawn = withInvariants(seed);
        Assume.that(drawn.isPresent());
        DesiredState state = drawn.get();
        assertThat(InvariantCheck.relationOf(state, RealizationPropertiesTest.TODAY).entries())
                .isEqualTo(Reachability.of(Realizer.realize(state, "hv1", HostFacts.TYPICAL, RealizationPropertiesTest.TODAY)).entries());
    }

    private static Set<String> satisfiedDenies(DesiredState s) {
        Set<String> violated = InvariantCheck.evaluate(s, RealizationPropertiesTest.TODAY).stream()
                .map(v -> v.invariant().name()).collect(Collectors.toSet());
        return s.invariants().stream().filter(i -> i.rule() instanceof InvariantRule.Deny).map(Invariant::name)
                .filter(n -> !violated.contains(n)).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The principals verify would probe for a selector: its VMs, the host, the internet, or the block itself. */
    private static List<Principal> concrete(DesiredState state, Selector sel) {
        List<Principal> out = new ArrayList<>();
        if (sel instanceof Selector.HostSelector) {
            return List.of(Principal.HOST);
        }
        if (sel instanceof Selector.InternetSelector) {
            return List.of(Principal.INTERNET, Principal.address("203.0.113.7"));
        }
        state.placedVms().forEach(v -> {
            boolean in = sel instanceof Selector.VmSelector s ? s.vm().equals(v.vm().name())
                    : sel instanceof Selector.GroupSelector g ? g.group().equals(v.group().name())
                    : sel instanceof Selector.CidrSelector c && v.vm().ip().isPresent() && c.cidr() instanceof Ipv4Cidr v4 && v4.contains(v.vm().ip().get());
            if (in) {
                out.add(Principal.vm(v.vm().name(), v.group().name()));
            }
        });
        if (sel instanceof Selector.CidrSelector c) {
            out.add(new Principal.Prefix(c.cidr()));
        }
        return out;
    }

    private static List<FlowProtocol> protocols(Traffic t) {
        return t.protocol().map(p -> List.of(FlowProtocol.of(p))).orElse(List.of(FlowProtocol.TCP, FlowProtocol.UDP, FlowProtocol.ICMP));
    }

    /** The ends of the invariant's ranges, else every port an exception of the state names, plus a few fixed ones. */
    private static List<Integer> ports(DesiredState s, Traffic t) {
        Set<Integer> ports = new TreeSet<>();
        if (!t.ports().isEmpty()) {
            t.ports().forEach(r -> {
                ports.add(r.first());
                ports.add(r.last());
            });
        } else {
            ports.addAll(List.of(1, 22, 53, 5432, 65535));
            s.groups().forEach(g -> g.allow().forEach(e -> e.ports().forEach(r -> {
                ports.add(r.first());
                ports.add(r.last());
            })));
        }
        return List.copyOf(ports);
    }

}
