package io.qfence.plan.explain;

import io.qfence.model.host.CounterSample;
import io.qfence.plan.explain.InvariantCoverage.InvariantNote;
import io.qfence.realize.FirewallRules.RuleAt;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to an {@link ExplainQuery}, with its evidence: the desired state that allows it (exceptions and group
 * settings, each with its file:line), or the default that denies it; the rules of the realized ruleset that decide
 * it; the invariants that cover it; and, when asked, what the live host holds of those rules.
 *
 * @param verdict    the answer
 * @param grounds    what in the desired state allows it (empty when denied): one per policy flow
 * @param defaults   why the rest is denied: the default, and the group settings that leave it denied
 * @param rules      the realized rules that decide it: accepts for what is allowed, the counted drop for what is not
 * @param invariants the invariants that speak about it (empty without an invariant model)
 * @param note       what the answer needs said beyond the above (the host's own traffic, an exposure)
 * @param live       present with {@code --live}: each of {@link #rules} as the live host holds it
 */
public record Explanation(ExplainQuery query, ExplainVerdict verdict, List<Grounds> grounds, List<Grounds> defaults, List<RuleAt> rules,
        List<InvariantNote> invariants, Optional<String> note, Optional<List<LiveRule>> live) {

    public Explanation {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(verdict, "verdict");
        grounds = List.copyOf(grounds);
        defaults = List.copyOf(defaults);
        rules = List.copyOf(rules);
        invariants = List.copyOf(invariants);
        Objects.requireNonNull(note, "note");
        live = live.map(List::copyOf);
        if (verdict == ExplainVerdict.DENIED && !grounds.isEmpty()) {
            throw new IllegalArgumentException("a denied answer has no grounds that allow it");
        }
        if ((verdict == ExplainVerdict.ALLOWED || verdict == ExplainVerdict.PARTLY_ALLOWED) && grounds.isEmpty()) {
            throw new IllegalArgumentException("an allowed answer names what allows it");
        }
    }

    public enum ExplainVerdict {
        /** Every packet asked about is allowed (with a protocol: that service; without: all traffic). */
        ALLOWED,
        /** Asked without a protocol: some traffic is allowed (the grounds say which), the rest denied. */
        PARTLY_ALLOWED,
        /** Nothing asked about is allowed: the default. */
        DENIED,
        /** qfence's tables do not look at this traffic at all (the host's own connections; two non-guests). */
        NOT_FILTERED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        }
    }

    /**
     * One thing in the desired state that allows (or, among {@link #defaults}, leaves denied) the traffic.
     *
     * @param what   {@code exception 1 of group web: group:web -> db-main tcp 5432}, {@code group web: intraGroup: allow}
     * @param origin where it is written ({@code groups/web.yaml:27:9}); empty for the built-in default
     * @param reason the exception's {@code reason}, if it has one
     * @param flow   the policy flow it became ({@code group:web -> vm:db-main tcp 5432 (exception:web:1)}); empty in defaults
     */
    public record Grounds(String what, Optional<String> origin, Optional<String> reason, Optional<String> flow) {
        public Grounds {
            Objects.requireNonNull(what, "what");
            Objects.requireNonNull(origin, "origin");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(flow, "flow");
        }
    }

    /**
     * One rule of the explanation on the live host.
     *
     * @param present whether the live ruleset holds the rule, in the same chain
     * @param counter its named counter's value there, for rules that count (the drops)
     */
    public record LiveRule(RuleAt rule, boolean present, Optional<CounterSample> counter) {
        public LiveRule {
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(counter, "counter");
        }
    }

    /** Whether the traffic asked about is allowed at all (partly counts). */
    public boolean allowed() {
        return verdict == ExplainVerdict.ALLOWED || verdict == ExplainVerdict.PARTLY_ALLOWED || verdict == ExplainVerdict.NOT_FILTERED;
    }

    public Explanation withLive(List<LiveRule> rulesOnHost) {
        return new Explanation(query, verdict, grounds, defaults, rules, invariants, note, Optional.of(rulesOnHost));
    }
}
