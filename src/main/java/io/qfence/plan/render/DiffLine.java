package io.qfence.plan.render;

import io.qfence.plan.Alignment;
import io.qfence.plan.Change;
import io.qfence.plan.ObjectKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One attribute line of a change: {@code +} added, {@code -} removed, {@code ~} changed.
 *
 * <p>Firewall rules are keyed by position ({@code inet qfence/chain forward/rule 0003}), so inserting one rule would
 * shift every key after it. A plan shows what changes, not thousands of unchanged rules: rules are compared chain by
 * chain along an {@link Alignment}, and only added and removed rules are shown.
 */
record DiffLine(char symbol, String key, Optional<String> before, Optional<String> after, boolean forcesReplacement) {

    private static final Pattern RULE_KEY = Pattern.compile("(.*)/rule (\\d+)");

    /** The changed lines of a change, and how many attributes did not change. */
    record Diff(List<DiffLine> lines, int unchanged) {}

    static Diff of(Change change) {
        SortedMap<String, String> before = change.beforeAttributes();
        SortedMap<String, String> after = change.afterAttributes();
        if (change.kind() == ObjectKind.FIREWALL) {
            return firewall(before, after);
        }
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
                lines.add(new DiffLine(b.isEmpty() ? '+' : a.isEmpty() ? '-' : '~', k, b, a, change.forcesReplacement().contains(k)));
            }
        }
        return new Diff(lines, unchanged);
    }

    private static Diff firewall(SortedMap<String, String> before, SortedMap<String, String> after) {
        Map<String, List<String>> beforeRules = new LinkedHashMap<>();
        Map<String, List<String>> afterRules = new LinkedHashMap<>();
        SortedMap<String, String> beforeOther = new java.util.TreeMap<>();
        SortedMap<String, String> afterOther = new java.util.TreeMap<>();
        split(before, beforeRules, beforeOther);
        split(after, afterRules, afterOther);
        List<DiffLine> lines = new ArrayList<>();
        int unchanged = 0;
        TreeSet<String> keys = new TreeSet<>(beforeOther.keySet());
        keys.addAll(afterOther.keySet());
        keys.addAll(beforeRules.keySet());
        keys.addAll(afterRules.keySet());
        for (String k : keys) {
            Optional<String> b = Optional.ofNullable(beforeOther.get(k));
            Optional<String> a = Optional.ofNullable(afterOther.get(k));
            if (b.equals(a)) {
                unchanged += b.isPresent() ? 1 : 0;
            } else {
                lines.add(new DiffLine(b.isEmpty() ? '+' : a.isEmpty() ? '-' : '~', k, b, a, false));
            }
            List<String> br = beforeRules.getOrDefault(k, List.of());
            List<String> ar = afterRules.getOrDefault(k, List.of());
            unchanged += rules(k, br, ar, lines);
        }
        return new Diff(lines, unchanged);
    }

    private static void split(SortedMap<String, String> attributes, Map<String, List<String>> rules, SortedMap<String, String> other) {
        Map<String, SortedMap<Integer, String>> indexed = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            Matcher m = RULE_KEY.matcher(e.getKey());
            if (m.matches()) {
                indexed.computeIfAbsent(m.group(1), k -> new java.util.TreeMap<>()).put(Integer.parseInt(m.group(2)), e.getValue());
            } else {
                other.put(e.getKey(), e.getValue());
            }
        }
        indexed.forEach((chain, byIndex) -> rules.put(chain, new ArrayList<>(byIndex.values())));
    }

    /** Adds a line per rule only in one side, in order; returns the number of rules in both. */
    private static int rules(String chain, List<String> before, List<String> after, List<DiffLine> lines) {
        int[] match = Alignment.match(before, after);
        String key = chain + " rule";
        int same = 0;
        int j = 0;
        for (int i = 0; i < before.size(); i++) {
            if (match[i] < 0) {
                lines.add(new DiffLine('-', key, Optional.of(before.get(i)), Optional.empty(), false));
                continue;
            }
            for (; j < match[i]; j++) {
                lines.add(new DiffLine('+', key, Optional.empty(), Optional.of(after.get(j)), false));
            }
            j++;
            same++;
        }
        for (; j < after.size(); j++) {
            lines.add(new DiffLine('+', key, Optional.empty(), Optional.of(after.get(j)), false));
        }
        return same;
    }
}
