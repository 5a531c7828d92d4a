package io.qfence.plan.diff;

import java.util.ArrayList;
import java.util.List;

/** A set of ports as sorted, disjoint, non-adjacent inclusive ranges within 1..65535. */
final class PortSet {

    static final int MIN = 1;
    static final int MAX = 65535;
    static final PortSet ALL = new PortSet(List.of(new int[] {MIN, MAX}));
    static final PortSet NONE = new PortSet(List.of());

    private final List<int[]> ranges;

    private PortSet(List<int[]> ranges) {
        this.ranges = ranges;
    }

    /** {@code *}, {@code 22}, {@code 8000-8080}, or a comma-separated list of those. */
    static PortSet parse(String text) {
        if (text.equals("*")) {
            return ALL;
        }
        List<int[]> raw = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String p = part.strip();
            int dash = p.indexOf('-');
            try {
                int first = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
                int last = dash < 0 ? first : Integer.parseInt(p.substring(dash + 1));
                if (first < MIN || last > MAX || first > last) {
                    throw new IllegalArgumentException("invalid ports '" + text + "': ports are 1..65535, first <= last");
                }
                raw.add(new int[] {first, last});
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid ports '" + text + "': expected *, PORT, FIRST-LAST or a comma-separated list");
            }
        }
        return normalized(raw);
    }

    private static PortSet normalized(List<int[]> raw) {
        raw.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<int[]> out = new ArrayList<>();
        for (int[] r : raw) {
            if (!out.isEmpty() && r[0] <= out.get(out.size() - 1)[1] + 1) {
                int[] last = out.get(out.size() - 1);
                last[1] = Math.max(last[1], r[1]);
            } else {
                out.add(new int[] {r[0], r[1]});
            }
        }
        return new PortSet(out);
    }

    PortSet union(PortSet o) {
        List<int[]> raw = new ArrayList<>();
        ranges.forEach(r -> raw.add(r.clone()));
        o.ranges.forEach(r -> raw.add(r.clone()));
        return normalized(raw);
    }

    PortSet minus(PortSet o) {
        List<int[]> out = new ArrayList<>();
        for (int[] r : ranges) {
            int from = r[0];
            for (int[] x : o.ranges) {
                if (x[1] < from || x[0] > r[1]) {
                    continue;
                }
                if (x[0] > from) {
                    out.add(new int[] {from, x[0] - 1});
                }
                from = x[1] + 1;
                if (from > r[1]) {
                    break;
                }
            }
            if (from <= r[1]) {
                out.add(new int[] {from, r[1]});
            }
        }
        return new PortSet(out);
    }

    boolean contains(int port) {
        return ranges.stream().anyMatch(r -> port >= r[0] && port <= r[1]);
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    @Override
    public String toString() {
        if (ranges.size() == 1 && ranges.get(0)[0] == MIN && ranges.get(0)[1] == MAX) {
            return "*";
        }
        List<String> parts = new ArrayList<>();
        for (int[] r : ranges) {
            parts.add(r[0] == r[1] ? Integer.toString(r[0]) : r[0] + "-" + r[1]);
        }
        return String.join(",", parts);
    }
}
