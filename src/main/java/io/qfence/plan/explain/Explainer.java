package io.qfence.plan.explain;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.host.CounterSample;
import io.qfence.model.host.Firewall;
import io.qfence.plan.explain.Explanation.ExplainVerdict;
import io.qfence.plan.explain.Explanation.Grounds;
import io.qfence.plan.explain.Explanation.LiveRule;
import io.qfence.realize.FirewallRules;
import io.qfence.realize.FirewallRules.RuleAt;
import io.qfence.realize.Flow;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.IsolationPolicy;
import io.qfence.realize.Principal;
import io.qfence.realize.Reachability;
import io.qfence.realize.ReachabilityRelation;
import io.qfence.realize.Realization;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Answers an {@link ExplainQuery} from one host's realization (pure). The answer is the reachability relation's (the
 * same one {@code diff} compares and {@code verify} probes), and it is checked against it: the flows found as grounds
 * must allow exactly what {@link ReachabilityRelation#allows} allows, or explaining fails loudly rather than
 * printing a reason that is not the reason. Each flow's origin leads back to the YAML ({@code exception:web:1} is the
 * first {@code allow} entry of group web), and to the rules the compiler made for it in the realized ruleset.
 */
public final class Explainer {

    private Explainer() {}

    public static Explanation explain(DesiredState state, Realization realization, ExplainQuery query, InvariantCoverage invariants) {
        IsolationPolicy policy = realization.policy();
        Principal source = query.source();
        Principal destination = query.destination();
        boolean sourceGuest = source instanceof Principal.SingleVm;
        boolean destinationGuest = destination instanceof Principal.SingleVm;
        if (source instanceof Principal.ThisHost || (!sourceGuest && !destinationGuest)) {
            List<Grounds> documented = policy.flowsBetween(source, destination).stream().map(f -> grounds(state, f)).toList();
            String why = source instanceof Principal.ThisHost
                    ? "qfence does not filter the host's own connections: no rule of its tables looks at them"
                            + (documented.isEmpty() ? "" : "; the exceptions below document them")
                    : "qfence filters only traffic from and to its guests; this traffic is the host's business";
            return new Explanation(query, ExplainVerdict.NOT_FILTERED, documented, List.of(), List.of(),
                    invariants.covering(query, true), Optional.of(why), Optional.empty());
        }
        List<Flow> flows = new ArrayList<>(allowing(policy, query, source));
        Optional<String> note = Optional.empty();
        if (source instanceof Principal.Prefix p && query.protocol().isPresent()) {
            // A bastion exposure lets outside sources in through a host port (DNAT), not to the VM's address.
            List<Flow> exposed = allowing(policy, query, new Principal.Outside(p.cidr()));
            if (!exposed.isEmpty()) {
                flows.addAll(exposed);
                note = Optional.of("only through the bastion exposure: connect to the host's tcp port "
                        + exposed.get(0).viaHostPort().orElseThrow() + ", which is forwarded to the VM");
            }
        }
        ExplainVerdict verdict;
        if (query.protocol().isPresent()) {
            verdict = flows.isEmpty() ? ExplainVerdict.DENIED : ExplainVerdict.ALLOWED;
            checkAgainstRelation(realization, query, !flows.isEmpty());
        } else {
            verdict = flows.isEmpty() ? ExplainVerdict.DENIED
                    : flows.stream().anyMatch(f -> f.protocol() == FlowProtocol.ANY) ? ExplainVerdict.ALLOWED : ExplainVerdict.PARTLY_ALLOWED;
        }
        LinkedHashSet<RuleAt> rules = new LinkedHashSet<>();
        flows.forEach(f -> rules.addAll(FirewallRules.implementing(realization, f)));
        List<Grounds> defaults = List.of();
        if (verdict != ExplainVerdict.ALLOWED) {
            rules.addAll(FirewallRules.denying(realization, source, destination));
            defaults = defaults(state, policy, source, destination);
        }
        List<Grounds> grounds = flows.stream().map(f -> grounds(state, f)).toList();
        return new Explanation(query, verdict, grounds, defaults, List.copyOf(rules), invariants.covering(query, verdict != ExplainVerdict.DENIED),
                note, Optional.empty());
    }

    /** Adds what the live host holds of each rule: the rule itself in the same chain, and its counter's value. */
    public static Explanation live(Explanation explanation, Optional<Firewall> observed, List<CounterSample> counters) {
        List<LiveRule> out = new ArrayList<>();
        for (RuleAt r : explanation.rules()) {
            boolean present = observed.stream().flatMap(f -> f.tables().stream())
                    .filter(t -> t.family().equals(r.family()) && t.name().equals(Firewall.OWNED_TABLE))
                    .flatMap(t -> t.chains().stream()).filter(c -> c.name().equals(r.chain()))
                    .anyMatch(c -> c.rules().contains(r.rule()));
            Optional<CounterSample> sample = r.counter().flatMap(name -> counters.stream()
                    .filter(c -> c.table().equals(r.table()) && c.counter().equals(name)).findFirst());
            out.add(new LiveRule(r, present, sample));
        }
        return explanation.withLive(out);
    }

    private static List<Flow> allowing(IsolationPolicy policy, ExplainQuery query, Principal source) {
        return query.protocol().map(p -> policy.flowsAllowing(source, query.destination(), p, query.port()))
                .orElseGet(() -> policy.flowsBetween(source, query.destination()));
    }

    /** The grounds must be the relation's answer; a difference is a bug in one of them, never something to print. */
    private static void checkAgainstRelation(Realization realization, ExplainQuery q, boolean found) {
        ReachabilityRelation relation = Reachability.of(realization);
        FlowProtocol p = q.protocol().orElseThrow();
        boolean allows = relation.allows(q.source(), q.destination(), p, q.port())
                || (q.source() instanceof Principal.Prefix prefix && relation.allows(new Principal.Outside(prefix.cidr()), q.destination(), p, q.port()));
        if (allows != found) {
            throw new IllegalStateException("explanation disagrees with the reachability relation for " + q + ": relation "
                    + (allows ? "allows" : "denies") + ", policy flows " + (found ? "allow" : "deny"));
        }
    }

    /** What in the desired state a flow comes from, by its origin ({@code exception:web:1}, {@code intra:web}, ...). */
    static Grounds grounds(DesiredState state, Flow flow) {
        String[] origin = flow.origin().split(":");
        Optional<Group> group = state.group(origin[1]);
        // A group setting is located at its own key in the group's file (the group's top when left at its default).
        java.util.function.Function<String, Optional<String>> at = setting -> group.map(x -> x.settingOrigin(setting).toString());
        String g = origin[1];
        return switch (origin[0]) {
            case "exception" -> {
                FirewallException ex = group.orElseThrow().allow().get(Integer.parseInt(origin[2]) - 1);
                String ports = ex.ports().isEmpty() ? "" : " " + String.join(",", ex.ports().stream().map(Object::toString).toList());
                yield new Grounds("exception " + origin[2] + " of group " + g + ": " + ex.from() + " -> " + ex.to() + " "
                        + ex.protocol().name().toLowerCase(java.util.Locale.ROOT) + ports
                        + ex.expires().map(d -> " (until " + d + ")").orElse(""),
                        Optional.of(ex.origin().toString()), ex.reason(), Optional.of(flow.toString()));
            }
            case "intra" -> new Grounds("group " + g + ": intraGroup: allow", at.apply("intraGroup"), Optional.empty(), Optional.of(flow.toString()));
            case "egress" -> new Grounds("group " + g + ": egress: nat", at.apply("egress"), Optional.empty(), Optional.of(flow.toString()));
            case "bastion" -> new Grounds("group " + g + ": its bastion reaches every VM of the group on tcp 22 (bastion.sshToGroup)", at.apply("bastion"),
                    Optional.empty(), Optional.of(flow.toString()));
            case "expose" -> new Grounds("group " + g + ": bastion.expose "
                    + group.flatMap(x -> x.bastion()).flatMap(b -> b.expose()).map(e -> "hostPort " + e.hostPort() + " -> port " + e.port()
                            + " from " + e.from()).orElse(""), at.apply("bastion.expose"), Optional.empty(), Optional.of(flow.toString()));
            default -> throw new IllegalStateException("a flow of unknown origin: " + flow);
        };
    }

    /** Why what no flow allows is denied: the default, and the group settings that leave it so. */
    private static List<Grounds> defaults(DesiredState state, IsolationPolicy policy, Principal source, Principal destination) {
        List<Grounds> out = new ArrayList<>();
        out.add(new Grounds("default deny: no exception or group setting allows it", Optional.empty(), Optional.empty(), Optional.empty()));
        Optional<Group> from = source instanceof Principal.SingleVm v ? state.group(v.group()) : Optional.empty();
        Optional<Group> to = destination instanceof Principal.SingleVm v ? state.group(v.group()) : Optional.empty();
        if (from.isPresent() && to.isPresent() && from.get().name().equals(to.get().name())) {
            if (from.get().intraGroup() == IntraGroup.DENY) {
                out.add(setting(from.get(), "intraGroup", "intraGroup: deny (VMs of the group reach each other only where an exception says so)"));
            }
        } else if (from.isPresent() && to.isPresent()) {
            out.add(new Grounds("groups are isolated from each other: group " + from.get().name() + " reaches group " + to.get().name()
                    + " only where an exception says so", Optional.empty(), Optional.empty(), Optional.empty()));
        }
        if (from.isPresent() && (destination instanceof Principal.Internet || destination instanceof Principal.Prefix)
                && from.get().egress() == Egress.NONE) {
            out.add(setting(from.get(), "egress", "egress: none"));
        }
        if (destination instanceof Principal.ThisHost) {
            out.add(new Grounds("guests reach the host only where an exception says so", Optional.empty(), Optional.empty(), Optional.empty()));
        }
        if (to.isPresent() && !(source instanceof Principal.SingleVm)) {
            out.add(new Grounds("nothing from outside reaches a guest unless an exception or a bastion exposure allows it",
                    Optional.empty(), Optional.empty(), Optional.empty()));
        }
        return out;
    }

    private static Grounds setting(Group g, String setting, String what) {
        return new Grounds("group " + g.name() + ": " + what, Optional.of(g.settingOrigin(setting).toString()), Optional.empty(), Optional.empty());
    }
}
