package io.qfence.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftRule.Effect;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The intermediate ruleset of a firewall change that both takes access away and gives new access.
 *
 * <p>Why: each firewall change is one atomic nft transaction, so no packet ever sees half a ruleset. But a single
 * transaction from old to new still opens the new grants at the same instant it closes the old ones, while the rest
 * of the plan (stopping a removed guest, deleting its tap) has not happened yet. Fail-closed means: first a ruleset
 * that only narrows, then, once the network and cgroups are in their new shape, the full new ruleset.
 *
 * <p>The intermediate ruleset is the union of old and new, rule by rule, minus every grant that is not in both
 * (rules are compared by expression here: a new comment is not new access):
 * <ul>
 *   <li>rules in both stay;</li>
 *   <li>new rules stay unless they grant (or might: a new rule whose effect is unknown is held back too);</li>
 *   <li>old rules stay unless they grant: an old drop (e.g. the anti-spoofing of a guest that is about to be
 *       stopped) keeps working until the widening transaction, which runs after that guest and its tap are gone.</li>
 * </ul>
 * Rules are merged per chain along an {@link Alignment} of both sides, which keeps the relative order of both: a
 * drop that came before a kept grant on either side still comes before it. Sets and chain
 * hooks come from the new ruleset (old-only ones are kept so that kept rules still resolve): the model does not say
 * whether a set allows or denies, so realization must express every grant as a rule, not as a set element.
 *
 * <p>Compared to the old ruleset the intermediate only removes grants and adds non-grants; compared to the new one it
 * only lacks grants and keeps old non-grants. That is exactly "narrower than both".
 */
final class FirewallSteps {

    /** The effect of each rule, from the realization's own labels where a rule is known, else from its verdict. */
    static final class Effects {
        private final Map<NftRule, Effect> known = new HashMap<>();

        Effects(List<Firewall> labelled) {
            for (Firewall f : labelled) {
                for (NftTable t : f.tables()) {
                    for (NftChain c : t.chains()) {
                        for (NftRule r : c.rules()) {
                            if (r.effect() != Effect.UNKNOWN) {
                                known.putIfAbsent(r, r.effect());
                            }
                        }
                    }
                }
            }
        }

        Effect of(NftRule r) {
            if (r.effect() != Effect.UNKNOWN) {
                return r.effect();
            }
            Effect labelled = known.get(r);
            return labelled != null ? labelled : inferred(r.expr());
        }
    }

    private FirewallSteps() {}

    /**
     * Reads the verdict of a rule as libnftables JSON writes it: {@code accept}, {@code dnat}, {@code snat},
     * {@code masquerade} and {@code redirect} grant; {@code drop} and {@code reject} restrict; anything else (a jump,
     * a counter-only rule) is neutral. Unparseable text is {@link Effect#UNKNOWN}.
     */
    static Effect inferred(String expr) {
        JsonNode statements;
        try {
            statements = ObjectJson.MAPPER.readTree(expr);
        } catch (JsonProcessingException e) {
            return Effect.UNKNOWN;
        }
        if (!statements.isArray()) {
            return Effect.UNKNOWN;
        }
        for (JsonNode s : statements) {
            for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
                switch (it.next()) {
                    case "accept", "dnat", "snat", "masquerade", "redirect":
                        return Effect.GRANT;
                    case "drop", "reject":
                        return Effect.RESTRICT;
                    default:
                        break;
                }
            }
        }
        return Effect.NEUTRAL;
    }

    static Firewall intermediate(Firewall observed, Firewall desired, Effects effects) {
        Map<String, NftTable> oldTables = tablesByName(observed);
        Map<String, NftTable> newTables = tablesByName(desired);
        List<NftTable> merged = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>(oldTables.keySet());
        names.addAll(newTables.keySet());
        for (String name : names) {
            NftTable o = oldTables.get(name);
            NftTable n = newTables.get(name);
            NftTable base = n != null ? n : o;
            List<NftChain> chains = mergeChains(o == null ? List.of() : o.chains(), n == null ? List.of() : n.chains(), effects);
            Map<String, NftSet> sets = new LinkedHashMap<>();
            if (o != null) {
                o.sets().forEach(s -> sets.put(s.name(), s));
            }
            if (n != null) {
                n.sets().forEach(s -> sets.put(s.name(), s));
            }
            if (o != null && n != null) {
                // A set that a restriction matches (e.g. `meta skuid @bridged_uids drop`) is a deny-list: an element
                // leaving it widens access, so the intermediate keeps the old elements too. Found by the guard of
                // running guests: without this, the narrowing transaction let a bridged guest's QEMU open sockets
                // before the plan had stopped it.
                Set<String> denyLists = denyLists(chains, effects);
                for (NftSet old : o.sets()) {
                    NftSet now = sets.get(old.name());
                    if (now != old && denyLists.contains(old.name()) && now.type().equals(old.type())) {
                        TreeSet<String> union = new TreeSet<>(now.elements());
                        union.addAll(old.elements());
                        sets.put(old.name(), new NftSet(now.name(), now.type(), now.flags(), new ArrayList<>(union)));
                    }
                }
            }
            TreeSet<String> counters = new TreeSet<>();
            if (o != null) {
                counters.addAll(o.counters());
            }
            if (n != null) {
                counters.addAll(n.counters());
            }
            merged.add(new NftTable(base.family(), base.name(), chains, new ArrayList<>(sets.values()), new ArrayList<>(counters)));
        }
        return new Firewall(desired.address(), merged);
    }

    /** The sets that a restricting rule matches positively ({@code == @set}, not {@code != @set}). */
    private static Set<String> denyLists(List<NftChain> chains, Effects effects) {
        Set<String> names = new HashSet<>();
        for (NftChain c : chains) {
            for (NftRule r : c.rules()) {
                if (effects.of(r) != Effect.RESTRICT) {
                    continue;
                }
                JsonNode statements;
                try {
                    statements = ObjectJson.MAPPER.readTree(r.expr());
                } catch (JsonProcessingException e) {
                    continue;
                }
                for (JsonNode st : statements) {
                    JsonNode m = st.path("match");
                    String right = m.path("right").asText("");
                    if (right.startsWith("@") && !m.path("op").asText("==").equals("!=")) {
                        names.add(right.substring(1));
                    }
                }
            }
        }
        return names;
    }

    /**
     * Whether two rulesets differ at most in rule comments: then a transaction between them changes no access, and
     * the intermediate step is skipped.
     */
    static boolean sameAccess(Firewall a, Firewall b) {
        return a.equals(b) || withoutComments(a).equals(withoutComments(b));
    }

    private static Firewall withoutComments(Firewall f) {
        return new Firewall(f.address(), f.tables().stream().map(t -> new NftTable(t.family(), t.name(),
                t.chains().stream().map(c -> new NftChain(c.name(), c.hook(),
                        c.rules().stream().map(r -> new NftRule(r.expr(), "", r.effect())).toList())).toList(),
                t.sets(), t.counters(), t.unmodelled())).toList());
    }

    private static Map<String, NftTable> tablesByName(Firewall f) {
        Map<String, NftTable> m = new LinkedHashMap<>();
        f.tables().forEach(t -> m.put(t.qualifiedName(), t));
        return m;
    }

    private static List<NftChain> mergeChains(List<NftChain> oldChains, List<NftChain> newChains, Effects effects) {
        Map<String, NftChain> oldByName = new LinkedHashMap<>();
        oldChains.forEach(c -> oldByName.put(c.name(), c));
        List<NftChain> out = new ArrayList<>();
        for (NftChain n : newChains) {
            NftChain o = oldByName.remove(n.name());
            List<NftRule> rules = mergeRules(o == null ? List.of() : o.rules(), n.rules(), effects);
            out.add(new NftChain(n.name(), n.hook(), rules));
        }
        for (NftChain o : oldByName.values()) {
            out.add(new NftChain(o.name(), o.hook(), mergeRules(o.rules(), List.of(), effects)));
        }
        return out;
    }

    /**
     * Merge along the alignment of both sides; rules only in one side are kept unless they (may) grant. Rules are
     * aligned by their expression, not their comment: a rule that only changes its comment (realization numbers
     * exceptions, so inserting one renumbers the rest) is the same access and stays, in its new form, instead of
     * being cut until the second transaction.
     */
    private static List<NftRule> mergeRules(List<NftRule> old, List<NftRule> now, Effects effects) {
        int[] match = Alignment.match(old.stream().map(NftRule::expr).toList(), now.stream().map(NftRule::expr).toList());
        List<NftRule> out = new ArrayList<>();
        int j = 0;
        for (int i = 0; i < old.size(); i++) {
            if (match[i] < 0) {
                NftRule r = old.get(i);
                if (effects.of(r) != Effect.GRANT) {
                    out.add(r);
                }
                continue;
            }
            for (; j < match[i]; j++) {
                addIfNarrowing(now.get(j), effects, out);
            }
            out.add(now.get(j++));
        }
        for (; j < now.size(); j++) {
            addIfNarrowing(now.get(j), effects, out);
        }
        return out;
    }

    private static void addIfNarrowing(NftRule r, Effects effects, List<NftRule> out) {
        Effect e = effects.of(r);
        if (e == Effect.RESTRICT || e == Effect.NEUTRAL) {
            out.add(r);
        }
    }
}
