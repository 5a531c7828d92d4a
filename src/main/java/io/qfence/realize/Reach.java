package io.qfence.realize;

import java.util.Comparator;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One entry of a {@link ReachabilityRelation}: {@code source} can open connections to {@code destination} with
 * {@code protocol} on {@code ports} (replies implied). Sources and destinations are single principals: VMs, the
 * host, the internet, prefixes, outside sources; never groups.
 *
 * @param viaHostPort for outside sources of an exposed bastion: the host port they connect to
 */
public record Reach(Principal source, Principal destination, FlowProtocol protocol, Ports ports, OptionalInt viaHostPort)
        implements Comparable<Reach> {

    private static final Comparator<Reach> ORDER = Comparator.comparing(Reach::source).thenComparing(Reach::destination)
            .thenComparingInt(r -> r.viaHostPort().orElse(0)).thenComparing(Reach::protocol)
            .thenComparing(Reach::ports, Reach::comparePorts);

    private static int comparePorts(Ports a, Ports b) {
        for (int i = 0; i < Math.min(a.ranges().size(), b.ranges().size()); i++) {
            int c = a.ranges().get(i).compareTo(b.ranges().get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.ranges().size(), b.ranges().size());
    }

    public Reach {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(viaHostPort, "viaHostPort");
        if (source instanceof Principal.BridgedGroup || destination instanceof Principal.BridgedGroup) {
            throw new IllegalArgumentException("reachability entries name single principals, not groups");
        }
    }

    /** {@code vm:web-01 -> vm:db-01 tcp 5432}, {@code outside:192.0.2.0/24 -> vm:bastion tcp 22 via host tcp 2201}. */
    @Override
    public String toString() {
        return source + " -> " + destination + " " + protocol.keyword() + (ports.isEmpty() ? "" : " " + ports)
                + (viaHostPort.isPresent() ? " via host tcp " + viaHostPort.getAsInt() : "");
    }

    @Override
    public int compareTo(Reach o) {
        return ORDER.compare(this, o);
    }
}
