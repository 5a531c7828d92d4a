package io.qfence.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Aligns two sequences (e.g. the rules of a chain before and after a change) along a common subsequence, so that the
 * elements both have are matched in order and the rest are additions or removals.
 *
 * <p>Common prefix and suffix are matched first; the middle gets an exact longest common subsequence when it is
 * small, and otherwise (thousands of rules changing at once) the patience heuristic: elements that occur exactly once
 * on each side, in the longest increasing run of positions. Either way the matches keep the relative order of both
 * sides, which is what the firewall's intermediate ruleset needs; only the minimality of the diff is traded for
 * bounded time and memory.
 */
public final class Alignment {

    /** Above this many cells (n × m) the exact table is not built. */
    static final long EXACT_LIMIT = 4_000_000L;

    private Alignment() {}

    /** For each element of {@code a}, the index of its match in {@code b}, or -1. Matches increase strictly. */
    public static <T> int[] match(List<T> a, List<T> b) {
        int[] out = new int[a.size()];
        Arrays.fill(out, -1);
        int start = 0;
        while (start < a.size() && start < b.size() && a.get(start).equals(b.get(start))) {
            out[start] = start;
            start++;
        }
        int endA = a.size();
        int endB = b.size();
        while (endA > start && endB > start && a.get(endA - 1).equals(b.get(endB - 1))) {
            endA--;
            endB--;
            out[endA] = endB;
        }
        List<T> midA = a.subList(start, endA);
        List<T> midB = b.subList(start, endB);
        int[] mid = (long) midA.size() * midB.size() <= EXACT_LIMIT ? exact(midA, midB) : patience(midA, midB);
        for (int i = 0; i < mid.length; i++) {
            if (mid[i] >= 0) {
                out[start + i] = start + mid[i];
            }
        }
        return out;
    }

    private static <T> int[] exact(List<T> a, List<T> b) {
        int n = a.size();
        int m = b.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        int[] out = new int[n];
        Arrays.fill(out, -1);
        int i = 0;
        int j = 0;
        while (i < n && j < m) {
            if (a.get(i).equals(b.get(j))) {
                out[i++] = j++;
            } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
                i++;
            } else {
                j++;
            }
        }
        return out;
    }

    private static <T> int[] patience(List<T> a, List<T> b) {
        Map<T, Integer> onceInA = once(a);
        Map<T, Integer> onceInB = once(b);
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            T x = a.get(i);
            if (onceInA.getOrDefault(x, -1) == i && onceInB.getOrDefault(x, -1) >= 0) {
                pairs.add(new int[] {i, onceInB.get(x)});
            }
        }
        // longest strictly increasing run of b-positions (pairs are already in a-order)
        int[] tails = new int[pairs.size()];
        int[] prev = new int[pairs.size()];
        int length = 0;
        for (int k = 0; k < pairs.size(); k++) {
            int bPos = pairs.get(k)[1];
            int lo = 0;
            int hi = length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (pairs.get(tails[mid])[1] < bPos) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            prev[k] = lo > 0 ? tails[lo - 1] : -1;
            tails[lo] = k;
            length = Math.max(length, lo + 1);
        }
        int[] out = new int[a.size()];
        Arrays.fill(out, -1);
        for (int k = length > 0 ? tails[length - 1] : -1; k >= 0; k = prev[k]) {
            out[pairs.get(k)[0]] = pairs.get(k)[1];
        }
        return out;
    }

    /** Elements that occur exactly once, with their index. */
    private static <T> Map<T, Integer> once(List<T> s) {
        Map<T, Integer> first = new HashMap<>();
        Map<T, Boolean> repeated = new HashMap<>();
        for (int i = 0; i < s.size(); i++) {
            if (first.putIfAbsent(s.get(i), i) != null) {
                repeated.put(s.get(i), true);
            }
        }
        repeated.keySet().forEach(first::remove);
        return first;
    }
}
