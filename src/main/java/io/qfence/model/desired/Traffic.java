package io.qfence.model.desired;

import io.qfence.model.PortRange;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The traffic an invariant speaks about: a protocol (absent: every protocol) and destination ports (empty: every
 * port of that protocol). ICMP carries no ports; ports need a protocol that has them.
 */
public record Traffic(Optional<Protocol> protocol, List<PortRange> ports) {

    /** Every protocol, every port. */
    public static final Traffic ANY = new Traffic(Optional.empty(), List.of());

    public Traffic {
        Objects.requireNonNull(protocol, "protocol");
        ports = ports.stream().sorted().toList();
        if (!ports.isEmpty() && protocol.map(p -> !p.hasPorts()).orElse(true)) {
            throw new IllegalArgumentException(protocol.isEmpty() ? "ports need a protocol (tcp or udp)" : "icmp takes no ports");
        }
    }

    public static Traffic of(Protocol protocol, PortRange... ports) {
        return new Traffic(Optional.of(protocol), List.of(ports));
    }

    public boolean isAny() {
        return protocol.isEmpty();
    }

    /** {@code any}, {@code icmp}, {@code tcp}, {@code tcp 22,8000-8080}. */
    @Override
    public String toString() {
        if (protocol.isEmpty()) {
            return "any";
        }
        return protocol.get().keyword() + (ports.isEmpty() ? "" : " " + ports.stream().map(PortRange::toString).collect(Collectors.joining(",")));
    }
}
