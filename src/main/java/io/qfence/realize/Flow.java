package io.qfence.realize;

import java.util.Comparator;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * One allowance of the effective isolation policy: {@code source} may open connections (or send datagrams) to
 * {@code destination} with {@code protocol} on {@code ports}. Replies are implied: the firewall is stateful, so the
 * return traffic of an allowed connection passes without a flow of its own.
 *
 * @param viaHostPort for an exposed bastion: the host's TCP port that outside sources connect to, which is
 *                    translated (DNAT) to {@code ports} on the bastion; empty for every other flow
 * @param origin      why the flow exists, also the comment of its nft rules: {@code intra:GROUP},
 *                    {@code egress:GROUP}, {@code expose:GROUP} or {@code exception:GROUP:N} (N counts the group's
 *                    {@code allow} entries from 1)
 */
public record Flow(Principal source, Principal destination, FlowProtocol protocol, Ports ports, OptionalInt viaHostPort, String origin)
        implements Comparable<Flow> {

    private static final Comparator<Flow> ORDER = Comparator.comparing(Flow::source).thenComparing(Flow::destination)
            .thenComparing(Flow::protocol).thenComparing(f -> f.ports().toString())
            .thenComparingInt(f -> f.viaHostPort().orElse(0)).thenComparing(Flow::origin);

    public Flow {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(viaHostPort, "viaHostPort");
        Objects.requireNonNull(origin, "origin");
        if (protocol.hasPorts() == ports.isEmpty()) {
            throw new IllegalArgumentException(protocol.hasPorts()
                    ? "a " + protocol.keyword() + " flow needs ports (Ports.ALL for every port)"
                    : "a flow of protocol " + protocol.keyword() + " carries no ports, got " + ports);
        }
        if (viaHostPort.isPresent() && !(source instanceof Principal.Outside && protocol == FlowProtocol.TCP)) {
            throw new IllegalArgumentException("only TCP flows from outside sources enter through a host port");
        }
    }

    public static Flow of(Principal source, Principal destination, FlowProtocol protocol, Ports ports, String origin) {
        return new Flow(source, destination, protocol, ports, OptionalInt.empty(), origin);
    }

    /** The nft comment of the rules that implement this flow. */
    public String comment() {
        return "qf:" + origin;
    }

    /** {@code vm:web-01 -> group:db tcp 5432 (exception:web:2)}. */
    @Override
    public String toString() {
        return source + " -> " + destination + " " + protocol.keyword() + (ports.isEmpty() ? "" : " " + ports)
                + (viaHostPort.isPresent() ? " via host tcp " + viaHostPort.getAsInt() : "") + " (" + origin + ")";
    }

    @Override
    public int compareTo(Flow o) {
        return ORDER.compare(this, o);
    }
}
