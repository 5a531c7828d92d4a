package io.qfence.plan.diff;

import java.util.Comparator;
import java.util.Objects;

/**
 * One allowed flow of a reachability relation: traffic from {@code source} to {@code destination} with
 * {@code protocol} on {@code ports}.
 *
 * @param source      an endpoint as the realization names it, e.g. {@code web-01}, {@code host}, {@code internet},
 *                    {@code 10.0.0.0/8}
 * @param destination likewise
 * @param protocol    e.g. {@code tcp}, {@code udp}, {@code icmp}
 * @param ports       destination ports: {@code 22}, {@code 8000-8080}, {@code 22,443}, {@code *} for all, or empty for
 *                    a protocol without ports
 */
public record FlowEntry(String source, String destination, String protocol, String ports) implements Comparable<FlowEntry> {

    private static final Comparator<FlowEntry> ORDER = Comparator.comparing(FlowEntry::source).thenComparing(FlowEntry::destination)
            .thenComparing(FlowEntry::protocol).thenComparing(FlowEntry::ports);

    public FlowEntry {
        requireText("source", source);
        requireText("destination", destination);
        requireText("protocol", protocol);
        Objects.requireNonNull(ports, "ports");
        if (!ports.isEmpty()) {
            PortSet.parse(ports);
        }
    }

    private static void requireText(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a flow needs a " + what);
        }
    }

    boolean hasPorts() {
        return !ports.isEmpty();
    }

    /** {@code web-01 -> db-01 tcp/5432}; {@code web-01 -> db-01 icmp} for a protocol without ports. */
    @Override
    public String toString() {
        return source + " -> " + destination + " " + protocol + (ports.isEmpty() ? "" : "/" + ports);
    }

    @Override
    public int compareTo(FlowEntry o) {
        return ORDER.compare(this, o);
    }
}
