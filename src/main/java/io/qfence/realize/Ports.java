package io.qfence.realize;

import io.qfence.model.PortRange;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A set of TCP or UDP destination ports in canonical form: sorted, disjoint, non-adjacent ranges, so that two equal
 * sets are equal records. {@link #NONE} is the port set of ICMP and of {@code ANY}, which carry no ports.
 */
public record Ports(List<PortRange> ranges) {

    public static final Ports NONE = new Ports(List.of());
    public static final Ports ALL = new Ports(List.of(new PortRange(1, 65535)));

    public Ports {
        ranges = List.copyOf(ranges);
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i).first() <= ranges.get(i - 1).last() + 1) {
                throw new IllegalArgumentException("port ranges must be sorted, disjoint and not adjacent: " + ranges);
            }
        }
    }

    /** Merges overlapping and adjacent ranges into the canonical form. */
    public static Ports of(Collection<PortRange> input) {
        List<PortRange> sorted = input.stream().sorted().toList();
        List<PortRange> merged = new ArrayList<>();
        for (PortRange r : sorted) {
            if (!merged.isEmpty() && r.first() <= merged.get(merged.size() - 1).last() + 1) {
                PortRange last = merged.remove(merged.size() - 1);
                merged.add(new PortRange(last.first(), Math.max(last.last(), r.last())));
            } else {
                merged.add(r);
            }
        }
        return new Ports(merged);
    }

    public static Ports single(int port) {
        return new Ports(List.of(PortRange.single(port)));
    }

    public Ports union(Ports other) {
        List<PortRange> all = new ArrayList<>(ranges);
        all.addAll(other.ranges);
        return of(all);
    }

    /** The ports of this set that are not in {@code other}. */
    public Ports minus(Ports other) {
        List<PortRange> result = new ArrayList<>();
        for (PortRange r : ranges) {
            int next = r.first();
            for (PortRange o : other.ranges) {
                if (o.last() < next || o.first() > r.last()) {
                    continue;
                }
                if (o.first() > next) {
                    result.add(new PortRange(next, o.first() - 1));
                }
                next = o.last() + 1;
                if (next > r.last()) {
                    break;
                }
            }
            if (next <= r.last()) {
                result.add(new PortRange(next, r.last()));
            }
        }
        return of(result);
    }

    public boolean isAll() {
        return equals(ALL);
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    public boolean contains(int port) {
        return ranges.stream().anyMatch(r -> r.contains(port));
    }

    /** True when every port of {@code other} is in this set. */
    public boolean containsAll(Ports other) {
        return other.ranges.stream().allMatch(o -> ranges.stream().anyMatch(r -> r.first() <= o.first() && o.last() <= r.last()));
    }

    /** {@code 22,5432,8000-8080}; {@code all} for every port; empty for {@link #NONE}. */
    @Override
    public String toString() {
        return isAll() ? "all" : ranges.stream().map(PortRange::toString).collect(Collectors.joining(","));
    }
}
