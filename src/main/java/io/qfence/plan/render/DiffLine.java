package io.qfence.plan.render;

import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.plan.Alignment;
import io.qfence.plan.Change;
import io.qfence.plan.ObjectKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * One attribute line of a change: {@code +} added, {@code -} removed, {@code ~} changed.
 *
 * <p>Firewall rules are keyed by position ({@code inet qfence/chain forward/rule 0003}), so inserting one rule would
 * shift every key after it. A plan shows what changes, not thousands of unchanged rules: rules are compared chain by
 * chain along an {@link Alignment}, and only added and removed rules are shown. A named set is shown as its
 * declaration and one line per element, so adding a VM shows the one element it adds, not the whole set twice. Rules,
 * set declarations and elements are shown in nft's own syntax ({@link NftText}), not as the JSON the machine-readable
 * plan carries.
 *
 * @param nft the values are nft syntax, shown as they are rather than as quoted strings
 */
record DiffLine(char symbol, String key, Optional<String> before, Optional<String> after, boolean forcesReplacement, boolean nft) {

    private static final Pattern RULE_OR_SET_KEY = Pattern.compile(".*/(rule \\d+|set [^/]+)");

    /** The changed lines of a change, and how many attributes did not change. */
    record Diff(List<DiffLine> lines, int unchanged) {}

    static Diff of(Change change) {
        if (change.kind() == ObjectKind.FIREWALL) {
            return firewall(change.before().map(Firewall.class::cast), change.after().map(Firewall.class::cast));
        }
        SortedMap<String, String> before = change.beforeAttributes();
        SortedMap<String, String> after = change.afterAttributes();
        List<DiffLine> lines = new ArrayList<>();
        int unchanged = 0;
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        for (String k : keys) {
            Optional<String> b = Optional.ofNullable(before.get(k));
            Optional<String> a = Optional.ofNullable(after.get(k));
            if (b.equals(a)) {
                unchanged++;
            } else {
                lines.add(changed(k, b, a, change.forcesReplacement().contains(k), false));
            }
        }
        return new Diff(lines, unchanged);
    }

    private static DiffLine changed(String key, Optional<String> before, Optional<String> after, boolean forces, boolean nft) {
        return new DiffLine(before.isEmpty() ? '+' : after.isEmpty() ? '-' : '~', key, before, after, forces, nft);
    }

    /** A firewall's parts under the keys {@link Firewall#attributes()} uses: chains and counters as there, rules and sets structured. */
    private record Parts(SortedMap<String, String> other, Map<String, List<NftRule>> rules, Map<String, NftSet> sets) {

        static Parts of(Optional<Firewall> firewall) {
            SortedMap<String, String> other = new TreeMap<>();
            Map<String, List<NftRule>> rules = new LinkedHashMap<>();
            Map<String, NftSet> sets = new LinkedHashMap<>();
            firewall.ifPresent(f -> {
                f.attributes().forEach((k, v) -> {
                    if (!RULE_OR_SET_KEY.matcher(k).matches()) {
                        other.put(k, v);
                    }
                });
                for (NftTable t : f.tables()) {
                    for (NftChain c : t.chains()) {
                        rules.put(t.qualifiedName() + "/chain " + c.name(), c.rules());
                    }
                    for (NftSet s : t.sets()) {
                        sets.put(t.qualifiedName() + "/set " + s.name(), s);
                    }
                }
            });
            return new Parts(other, rules, sets);
        }
    }

    private static Diff firewall(Optional<Firewall> beforeFirewall, Optional<Firewall> afterFirewall) {
        Parts before = Parts.of(beforeFirewall);
        Parts after = Parts.of(afterFirewall);
        List<DiffLine> lines = new ArrayList<>();
        int unchanged = 0;
        TreeSet<String> keys = new TreeSet<>(before.other().keySet());
        keys.addAll(after.other().keySet());
        keys.addAll(before.rules().keySet());
        keys.addAll(after.rules().keySet());
        keys.addAll(before.sets().keySet());
        keys.addAll(after.sets().keySet());
        for (String k : keys) {
            Optional<String> b = Optional.ofNullable(before.other().get(k));
            Optional<String> a = Optional.ofNullable(after.other().get(k));
            if (b.equals(a)) {
                unchanged += b.isPresent() ? 1 : 0;
            } else {
                lines.add(changed(k, b, a, false, false));
            }
            unchanged += rules(k, before.rules().getOrDefault(k, List.of()), after.rules().getOrDefault(k, List.of()), lines);
            unchanged += set(k, Optional.ofNullable(before.sets().get(k)), Optional.ofNullable(after.sets().get(k)), lines);
        }
        return new Diff(lines, unchanged);
    }

    /** Adds a line per rule only in one side, in order; returns the number of rules in both. */
    private static int rules(String chain, List<NftRule> before, List<NftRule> after, List<DiffLine> lines) {
        int[] match = Alignment.match(before, after);
        String key = chain + " rule";
        int same = 0;
        int j = 0;
        for (int i = 0; i < before.size(); i++) {
            if (match[i] < 0) {
                lines.add(changed(key, Optional.of(NftText.rule(before.get(i))), Optional.empty(), false, true));
                continue;
            }
            for (; j < match[i]; j++) {
                lines.add(changed(key, Optional.empty(), Optional.of(NftText.rule(after.get(j))), false, true));
            }
            j++;
            same++;
        }
        for (; j < after.size(); j++) {
            lines.add(changed(key, Optional.empty(), Optional.of(NftText.rule(after.get(j))), false, true));
        }
        return same;
    }

    /**
     * Adds the set's declaration if it changed, and a line per element only in one side (in the set's sorted order);
     * returns the number of unchanged parts (the declaration and each element in both).
     */
    private static int set(String key, Optional<NftSet> before, Optional<NftSet> after, List<DiffLine> lines) {
        if (before.isEmpty() && after.isEmpty()) {
            return 0;
        }
        int same = 0;
        Optional<String> b = before.map(NftText::setDeclaration);
        Optional<String> a = after.map(NftText::setDeclaration);
        if (b.equals(a)) {
            same++;
        } else {
            lines.add(changed(key, b, a, false, true));
        }
        Set<String> beforeElements = new HashSet<>(before.map(NftSet::elements).orElse(List.of()));
        Set<String> afterElements = new HashSet<>(after.map(NftSet::elements).orElse(List.of()));
        TreeSet<String> elements = new TreeSet<>(beforeElements);
        elements.addAll(afterElements);
        for (String e : elements) {
            boolean inBefore = beforeElements.contains(e);
            boolean inAfter = afterElements.contains(e);
            if (inBefore && inAfter) {
                same++;
            } else {
                Optional<String> shown = Optional.of(NftText.setElement((inBefore ? before : after).get(), e));
                lines.add(changed(key + " element", inBefore ? shown : Optional.empty(), inAfter ? shown : Optional.empty(), false, true));
            }
        }
        return same;
    }
}
