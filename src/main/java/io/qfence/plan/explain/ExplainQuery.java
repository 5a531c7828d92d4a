package io.qfence.plan.explain;

import io.qfence.realize.FlowProtocol;
import io.qfence.realize.Principal;
import java.util.Objects;
import java.util.Optional;

/**
 * "Can {@code source} reach {@code destination}, and why?": two concrete principals (a VM, the host, the internet, an
 * address or prefix, an outside source), and optionally the protocol and port. Without a protocol the question is
 * about any traffic between the two.
 *
 * @param port the destination port for TCP and UDP; 0 for ICMP and when no protocol is given
 */
public record ExplainQuery(Principal source, Principal destination, Optional<FlowProtocol> protocol, int port) {

    public ExplainQuery {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(protocol, "protocol");
        if (source instanceof Principal.BridgedGroup || destination instanceof Principal.BridgedGroup) {
            throw new IllegalArgumentException("ask about single endpoints, not groups");
        }
        if (protocol.isPresent() && protocol.get() == FlowProtocol.ANY) {
            throw new IllegalArgumentException("ask about a concrete protocol (tcp, udp, icmp) or none");
        }
        boolean ported = protocol.map(FlowProtocol::hasPorts).orElse(false);
        if (ported ? port < 1 || port > 65535 : port != 0) {
            throw new IllegalArgumentException(ported ? "a port is 1..65535, got " + port
                    : "only tcp and udp take a port, got " + port);
        }
    }

    public static ExplainQuery of(Principal source, Principal destination, FlowProtocol protocol, int port) {
        return new ExplainQuery(source, destination, Optional.of(protocol), protocol.hasPorts() ? port : 0);
    }

    public static ExplainQuery anyTraffic(Principal source, Principal destination) {
        return new ExplainQuery(source, destination, Optional.empty(), 0);
    }

    /** {@code tcp/5432}, {@code icmp}, {@code any traffic}. */
    public String service() {
        return protocol.map(p -> p.keyword() + (p.hasPorts() ? "/" + port : "")).orElse("any traffic");
    }

    /** {@code vm:web-app-1 -> vm:db-main tcp/5432}. */
    @Override
    public String toString() {
        return source + " -> " + destination + " " + service();
    }
}
