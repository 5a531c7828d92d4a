package io.qfence.realize;

import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which rules of a realized ruleset decide a flow, for {@code qfence explain}: the rules that implement an allowed
 * flow (the compiler's own {@link FirewallCompiler#rulesFor}, found again in the realized firewall, so that the
 * answer is the ruleset the host runs and never a second rendering of it), and the counted drop that denies traffic
 * no flow allows. The layout knowledge (which chain decides what) stays here, beside the compiler that makes it.
 */
public final class FirewallRules {

    private FirewallRules() {}

    /**
     * One rule where it sits in the realized ruleset.
     *
     * @param family  {@code inet} or {@code bridge}; the table is always {@code qfence}
     * @param index   0-based position in its chain
     * @param counter the named counter the rule counts into, if any (drop rules have one)
     */
    public record RuleAt(String family, String chain, int index, NftRule rule, Optional<String> counter) {
        public RuleAt {
            Objects.requireNonNull(family, "family");
            Objects.requireNonNull(chain, "chain");
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(counter, "counter");
            if (index < 0) {
                throw new IllegalArgumentException("a rule's index is >= 0, got " + index);
            }
        }

        /** {@code inet qfence}. */
        public String table() {
            return family + " " + Firewall.OWNED_TABLE;
        }
    }

    /**
     * The rules that implement {@code flow} in {@code realization}'s ruleset, in table order: its accept (and, for a
     * bastion exposure, its DNAT), plus the masquerade of the source group for outward flows. Empty for flows from
     * the host, which qfence does not filter.
     *
     * @throws IllegalStateException when a rule the compiler makes for the flow is missing from the realized ruleset
     *                               (a realization not made from this policy)
     */
    public static List<RuleAt> implementing(Realization realization, Flow flow) {
        Firewall firewall = realization.firewall();
        List<RuleAt> out = new ArrayList<>();
        for (FirewallCompiler.Placed p : new FirewallCompiler(realization.policy()).rulesFor(flow)) {
            out.add(locate(firewall, p.family(), p.chain(), p.rule()::equals).stream().findFirst()
                    .orElseThrow(() -> new IllegalStateException("rule of " + flow + " not in the realized ruleset: " + p.rule())));
        }
        String group = outwardGroup(realization.policy(), flow);
        if (group != null) {
            out.addAll(locate(firewall, "inet", FirewallCompiler.POSTROUTING, r -> r.comment().equals("qf:masquerade:" + group)));
        }
        return out;
    }

    /**
     * The counted drop that ends traffic from {@code source} to {@code destination} when no rule accepted it, or empty
     * when qfence's tables do not filter that traffic at all (from the host; between two non-guests).
     */
    public static List<RuleAt> denying(Realization realization, Principal source, Principal destination) {
        IsolationPolicy policy = realization.policy();
        Firewall firewall = realization.firewall();
        boolean toGuest = destination instanceof Principal.SingleVm || destination instanceof Principal.BridgedGroup;
        Predicate<String> toQfence = e -> e.contains("\"@" + FirewallCompiler.SET_NETS4 + "\"");
        Predicate<String> toLocal = e -> e.contains("\"fib\"");
        if (source instanceof Principal.SingleVm s) {
            if (policy.vm(s.name()).isEmpty() && policy.remoteVm(s.name()).isEmpty()) {
                throw new IllegalArgumentException("no vm " + s.name() + " on this host");
            }
            if (policy.isBridged(s.name())) {
                // a VM of another host arrives on its group's bridge through the trunk, and ends where local ones do
                if (destination instanceof Principal.ThisHost) {
                    return locate(firewall, "inet", FirewallCompiler.INPUT, r -> r.comment().equals("qf:guest-to-host"));
                }
                String chain = FirewallCompiler.fromChain(s.group());
                String comment = "qf:from:" + s.group();
                return locate(firewall, "inet", chain, r -> r.comment().equals(comment)
                        && (toGuest ? toQfence.test(r.expr()) : !r.expr().contains("\"@")));
            }
            String chain = FirewallCompiler.userChain(s.name());
            String comment = "qf:user:" + s.name();
            Predicate<String> which = destination instanceof Principal.ThisHost ? toLocal
                    : toGuest ? toQfence : e -> !toLocal.test(e) && !e.contains("\"@");
            return locate(firewall, "inet", chain, r -> r.comment().equals(comment) && which.test(r.expr()));
        }
        if (source instanceof Principal.ThisHost || !toGuest) {
            return List.of();
        }
        String group = destination instanceof Principal.SingleVm d ? d.group() : ((Principal.BridgedGroup) destination).name();
        return locate(firewall, "inet", FirewallCompiler.toChain(group), r -> r.comment().equals("qf:to:" + group));
    }

    /** The bridged group (or user-mode VM's group) whose traffic an outward flow masquerades, or null. */
    private static String outwardGroup(IsolationPolicy policy, Flow flow) {
        if (!(flow.destination() instanceof Principal.Internet || flow.destination() instanceof Principal.Prefix)) {
            return null;
        }
        if (flow.source() instanceof Principal.BridgedGroup g) {
            return g.name();
        }
        if (flow.source() instanceof Principal.SingleVm v && policy.isBridged(v.name())) {
            return v.group();
        }
        return null;
    }

    private static List<RuleAt> locate(Firewall firewall, String family, String chain, Predicate<NftRule> which) {
        List<RuleAt> out = new ArrayList<>();
        for (NftTable t : firewall.tables()) {
            if (!t.family().equals(family)) {
                continue;
            }
            for (NftChain c : t.chains()) {
                if (!c.name().equals(chain)) {
                    continue;
                }
                for (int i = 0; i < c.rules().size(); i++) {
                    NftRule r = c.rules().get(i);
                    if (which.test(r)) {
                        out.add(new RuleAt(family, chain, i, r, counterOf(r)));
                    }
                }
            }
        }
        return out;
    }

    /** The named counter in a canonical rule's expr ({@code {"counter":"NAME"}}), if it has one. */
    static Optional<String> counterOf(NftRule rule) {
        String key = "{\"counter\":\"";
        int at = rule.expr().indexOf(key);
        if (at < 0) {
            return Optional.empty();
        }
        int start = at + key.length();
        return Optional.of(rule.expr().substring(start, rule.expr().indexOf('"', start)));
    }
}
