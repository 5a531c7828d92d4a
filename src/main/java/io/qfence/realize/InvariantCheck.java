package io.qfence.realize;

import io.qfence.model.Cidr;
import io.qfence.model.Diagnostic;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Origin;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.DesiredState.PlacedVm;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.Invariant;
import io.qfence.model.desired.InvariantRule;
import io.qfence.model.desired.Selector;
import io.qfence.model.desired.Traffic;
import io.qfence.realize.InvariantViolation.Breach;
import io.qfence.realize.InvariantViolation.Cause;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Evaluates the invariants of a desired state ({@code policies/*.yaml}) over its reachability relation: the one
 * relation {@code diff}, graded automation and {@code verify} use, computed from the same {@link IsolationPolicy}
 * the ruleset is compiled from, so an invariant's verdict and the firewall cannot disagree (DESIGN.md §18).
 * Pure: no files, clock or host.
 */
public final class InvariantCheck {

    private InvariantCheck() {}

    /**
     * The relation every invariant of {@code state} is judged by: the union of the relations of its hosts' policies
     * on {@code today} (expired exceptions left out, as the realizer leaves them out). Host facts are not needed:
     * they change how a policy is rendered, not which flows it allows.
     *
     * @throws io.qfence.model.errors.InvalidInputException when a host's policy cannot be built (what plan refuses)
     */
    public static ReachabilityRelation relationOf(DesiredState state, LocalDate today) {
        List<ReachabilityRelation> relations = new ArrayList<>();
        for (Host h : state.hosts()) {
            relations.add(Reachability.of(Realizer.policy(state, h.name(), today)));
        }
        return ReachabilityRelation.union(relations);
    }

    /** {@link #evaluate(DesiredState, ReachabilityRelation)} over {@link #relationOf}; nothing to do without invariants. */
    public static List<InvariantViolation> evaluate(DesiredState state, LocalDate today) {
        if (state.invariants().isEmpty()) {
            return List.of();
        }
        return evaluate(state, relationOf(state, today));
    }

    /** The violated invariants of {@code state} under {@code relation}, in the order of their files and lines. */
    public static List<InvariantViolation> evaluate(DesiredState state, ReachabilityRelation relation) {
        SelectorScope scope = new SelectorScope(state, relation);
        List<InvariantViolation> out = new ArrayList<>();
        for (Invariant inv : sorted(state.invariants())) {
            List<Breach> breaches = breaches(scope, inv.rule());
            if (!breaches.isEmpty()) {
                out.add(new InvariantViolation(inv, breaches));
            }
        }
        return out;
    }

    /**
     * The errors {@code validate}, {@code plan}, {@code apply} and the daemon report: one at each cause of each
     * breaching flow ({@code breaks invariant NAME (policies/F.yaml:L): FLOW}), and one at the invariant itself
     * naming every flow and where it comes from.
     */
    public static List<Diagnostic> diagnostics(List<InvariantViolation> violations) {
        List<Diagnostic> out = new ArrayList<>();
        for (InvariantViolation v : violations) {
            Invariant inv = v.invariant();
            List<String> flows = new ArrayList<>();
            for (Breach b : v.breaches()) {
                for (Cause c : b.causes()) {
                    out.add(Diagnostic.error(c.at(), c.what() + " breaks invariant " + inv.reference() + ": " + b.flow()));
                }
                flows.add(b.flow() + (b.causes().isEmpty() ? "" : " (allowed by " + b.causes().stream()
                        .map(c -> c.what() + " at " + c.at()).collect(Collectors.joining(", ")) + ")"));
            }
            out.add(Diagnostic.error(inv.origin(), "invariant " + inv.name() + " (" + inv.rule() + ") is violated: "
                    + String.join("; ", flows)));
        }
        return out.stream().distinct().sorted().toList();
    }

    /** The invariants whose statement speaks about {@code entry}'s source, destination and traffic (for explain). */
    public static List<Invariant> covering(DesiredState state, ReachabilityRelation relation, Reach entry) {
        SelectorScope scope = new SelectorScope(state, relation);
        List<Invariant> out = new ArrayList<>();
        for (Invariant inv : sorted(state.invariants())) {
            if (covers(scope, inv.rule(), entry)) {
                out.add(inv);
            }
        }
        return out;
    }

    /**
     * What one invariant asks of one concrete probe ({@code verify}, DESIGN.md §18), or empty when it does not speak
     * about the probe's endpoints and traffic ({@link #covering}'s test).
     */
    public enum Demand {
        /** deny, and only's traffic from outside its allowance: the probe must not reach. */
        UNREACHED,
        /** require: the probe must reach. */
        REACHED,
        /** only's allowance: the invariant permits it but does not ask for it. */
        MAY,
        /** limit: a reach counts toward its maximum. */
        COUNTED
    }

    /** {@link Demand} of {@code inv} on {@code probe} (one protocol, one port), judged in {@code state} and {@code relation}. */
    public static Optional<Demand> demand(DesiredState state, ReachabilityRelation relation, Invariant inv, Reach probe) {
        SelectorScope scope = new SelectorScope(state, relation);
        InvariantRule rule = inv.rule();
        if (!covers(scope, rule, probe)) {
            return Optional.empty();
        }
        if (rule instanceof InvariantRule.Deny) {
            return Optional.of(Demand.UNREACHED);
        } else if (rule instanceof InvariantRule.Only o) {
            boolean allowed = o.from().stream().anyMatch(f -> scope.matches(f, probe.source())) && within(probe, o.traffic());
            return Optional.of(allowed ? Demand.MAY : Demand.UNREACHED);
        } else if (rule instanceof InvariantRule.Require) {
            return Optional.of(Demand.REACHED);
        }
        return Optional.of(Demand.COUNTED);
    }

    private static List<Invariant> sorted(List<Invariant> invariants) {
        return invariants.stream().sorted(Comparator.comparing((Invariant i) -> i.origin().file())
                .thenComparingInt(i -> i.origin().line()).thenComparing(Invariant::name)).toList();
    }

    private static List<Breach> breaches(SelectorScope scope, InvariantRule rule) {
        if (rule instanceof InvariantRule.Deny d) {
            return deny(scope, d);
        } else if (rule instanceof InvariantRule.Only o) {
            return only(scope, o);
        } else if (rule instanceof InvariantRule.Require r) {
            return require(scope, r);
        } else if (rule instanceof InvariantRule.Limit l) {
            return limit(scope, l);
        }
        throw new IllegalStateException("unknown invariant kind " + rule.kind());
    }

    private static boolean covers(SelectorScope scope, InvariantRule rule, Reach entry) {
        if (rule instanceof InvariantRule.Deny d) {
            return scope.matches(d.from(), entry.source()) && scope.matches(d.to(), entry.destination()) && overlaps(entry, d.traffic());
        } else if (rule instanceof InvariantRule.Only o) {
            return scope.matches(o.into(), entry.destination()) && !scope.matches(o.into(), entry.source());
        } else if (rule instanceof InvariantRule.Require r) {
            return scope.matches(r.from(), entry.source()) && scope.matches(r.to(), entry.destination()) && overlaps(entry, r.traffic());
        } else if (rule instanceof InvariantRule.Limit l) {
            return scope.matches(l.into(), entry.destination()) && !sameGroup(entry);
        }
        throw new IllegalStateException("unknown invariant kind " + rule.kind());
    }

    private static List<Breach> deny(SelectorScope scope, InvariantRule.Deny d) {
        return scope.relation.entries().stream()
                .filter(e -> scope.matches(d.from(), e.source()) && scope.matches(d.to(), e.destination()) && overlaps(e, d.traffic()))
                .map(e -> scope.breach(e, d.traffic())).toList();
    }

    private static List<Breach> only(SelectorScope scope, InvariantRule.Only o) {
        return scope.relation.entries().stream()
                .filter(e -> scope.matches(o.into(), e.destination()) && !scope.matches(o.into(), e.source()))
                .filter(e -> !(o.from().stream().anyMatch(f -> scope.matches(f, e.source())) && within(e, o.traffic())))
                .map(e -> scope.breach(e, Traffic.ANY)).toList();
    }

    private static List<Breach> require(SelectorScope scope, InvariantRule.Require r) {
        FlowProtocol protocol = FlowProtocol.of(r.traffic().protocol().orElseThrow());
        Ports wanted = protocol.hasPorts() ? Ports.of(r.traffic().ports()) : Ports.ALL;
        List<Breach> out = new ArrayList<>();
        for (Principal s : scope.concrete(r.from())) {
            for (Principal d : scope.concrete(r.to())) {
                if (s.equals(d)) {
                    continue;
                }
                Ports missing = wanted.minus(scope.relation.reachablePorts(s, d, protocol));
                if (!missing.isEmpty()) {
                    out.add(new Breach(s + " -> " + d + " " + protocol.keyword() + (protocol.hasPorts() ? " " + missing : "")
                            + " missing", Optional.empty(), List.of()));
                }
            }
        }
        return out;
    }

    private static List<Breach> limit(SelectorScope scope, InvariantRule.Limit l) {
        List<Reach> into = scope.relation.entries().stream()
                .filter(e -> scope.matches(l.into(), e.destination()) && !sameGroup(e)).toList();
        if (into.size() <= l.max()) {
            return List.of();
        }
        return into.stream().map(e -> scope.breach(e, Traffic.ANY)).toList();
    }

    /** An entry between two VMs of one group stays inside that group: it does not count against a limit. */
    private static boolean sameGroup(Reach e) {
        return e.source() instanceof Principal.SingleVm s && e.destination() instanceof Principal.SingleVm d
                && s.group().equals(d.group());
    }

    /** Some of the entry's traffic is traffic the invariant speaks about. */
    static boolean overlaps(Reach e, Traffic t) {
        if (t.protocol().isEmpty() || e.protocol() == FlowProtocol.ANY) {
            return true;
        }
        FlowProtocol p = FlowProtocol.of(t.protocol().get());
        if (e.protocol() != p) {
            return false;
        }
        if (!p.hasPorts() || t.ports().isEmpty()) {
            return true;
        }
        Ports ports = Ports.of(t.ports());
        return !ports.minus(e.ports()).equals(ports);
    }

    /** All of the entry's traffic is traffic the invariant allows. */
    static boolean within(Reach e, Traffic t) {
        if (t.protocol().isEmpty()) {
            return true;
        }
        FlowProtocol p = FlowProtocol.of(t.protocol().get());
        if (e.protocol() != p) {
            return false;
        }
        return !p.hasPorts() || t.ports().isEmpty() || Ports.of(t.ports()).containsAll(e.ports());
    }

    /** What selectors mean in one desired state and relation. */
    private static final class SelectorScope {
        private final DesiredState state;
        private final ReachabilityRelation relation;

        SelectorScope(DesiredState state, ReachabilityRelation relation) {
            this.state = state;
            this.relation = relation;
        }

        boolean matches(Selector selector, Principal p) {
            if (selector instanceof Selector.VmSelector v) {
                return p instanceof Principal.SingleVm vm && vm.name().equals(v.vm());
            } else if (selector instanceof Selector.GroupSelector g) {
                return p instanceof Principal.SingleVm vm && vm.group().equals(g.group());
            } else if (selector instanceof Selector.HostSelector) {
                return p instanceof Principal.ThisHost;
            } else if (selector instanceof Selector.InternetSelector) {
                return p instanceof Principal.Internet || p instanceof Principal.Prefix || p instanceof Principal.Outside;
            } else if (selector instanceof Selector.CidrSelector c) {
                if (p instanceof Principal.SingleVm vm) {
                    return placed(vm).flatMap(x -> x.vm().ip()).map(ip -> c.cidr() instanceof Ipv4Cidr v4 && v4.contains(ip)).orElse(false);
                } else if (p instanceof Principal.Prefix x) {
                    return IsolationPolicy.overlaps(c.cidr(), x.cidr());
                } else if (p instanceof Principal.Outside x) {
                    return IsolationPolicy.overlaps(c.cidr(), x.cidr());
                }
                return p instanceof Principal.Internet && reachesInternet(c.cidr());
            } else if (selector instanceof Selector.LabelSelector l) {
                return p instanceof Principal.SingleVm vm && placed(vm).map(x -> l.value().equals(x.labels().get(l.key()))).orElse(false);
            }
            throw new IllegalStateException("unknown selector " + selector);
        }

        /** A block some of which the internet covers: not inside any qfence network. */
        private boolean reachesInternet(Cidr block) {
            return relation.qfenceNetworks().stream().noneMatch(n -> IsolationPolicy.encloses(n, block));
        }

        /** The principals a {@code require} asks about: each selected VM, the host, the internet, or the block itself. */
        List<Principal> concrete(Selector selector) {
            List<Principal> out = new ArrayList<>();
            if (selector instanceof Selector.HostSelector) {
                return List.of(Principal.HOST);
            } else if (selector instanceof Selector.InternetSelector) {
                return List.of(Principal.INTERNET);
            }
            for (PlacedVm v : state.placedVms()) {
                Principal.SingleVm p = Principal.vm(v.vm().name(), v.group().name());
                if (matches(selector, p)) {
                    out.add(p);
                }
            }
            if (selector instanceof Selector.CidrSelector c && reachesInternet(c.cidr())) {
                out.add(new Principal.Prefix(c.cidr()));
            }
            return out;
        }

        private Optional<PlacedVm> placed(Principal.SingleVm vm) {
            return state.vm(vm.name());
        }

        Breach breach(Reach e, Traffic traffic) {
            List<Cause> causes = relation.bases(e).stream()
                    .filter(b -> overlaps(new Reach(e.source(), e.destination(), b.protocol(), b.ports(), e.viaHostPort()), traffic))
                    .map(b -> cause(b.origin())).toList();
            return new Breach(e.toString(), Optional.of(e), causes);
        }

        /** {@code exception:ci:4} → the fourth {@code allow} entry of group ci; {@code intra:web} → group web. */
        private Cause cause(String origin) {
            String[] parts = origin.split(":");
            Optional<Group> group = parts.length >= 2 ? state.group(parts[1]) : Optional.empty();
            if (group.isEmpty()) {
                return new Cause(origin, Origin.UNKNOWN);
            }
            Group g = group.get();
            return switch (parts[0]) {
                case "exception" -> {
                    int n = Integer.parseInt(parts[2]);
                    FirewallException ex = g.allow().get(n - 1);
                    yield new Cause("exception " + n + " of group " + g.name() + " (" + ex.from() + " -> " + ex.to() + ")", ex.origin());
                }
                case "intra" -> new Cause("intraGroup of group " + g.name(), g.settingOrigin("intraGroup"));
                case "egress" -> new Cause("egress of group " + g.name(), g.settingOrigin("egress"));
                case "bastion" -> new Cause("bastion of group " + g.name(), g.settingOrigin("bastion"));
                case "expose" -> new Cause("bastion.expose of group " + g.name(), g.settingOrigin("bastion.expose"));
                default -> new Cause(origin, g.origin());
            };
        }
    }
}
