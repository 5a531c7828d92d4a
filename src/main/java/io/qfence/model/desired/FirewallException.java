package io.qfence.model.desired;

import io.qfence.model.Origin;
import io.qfence.model.PortRange;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One explicit allowance in a group's {@code firewall.allow}. Everything not allowed by an exception (or by the
 * group's intra-group policy) is denied.
 *
 * @param expires the last day (UTC) on which the exception applies; from the next day on it is ignored
 */
public record FirewallException(
        Endpoint from,
        Endpoint to,
        Protocol protocol,
        List<PortRange> ports,
        Optional<LocalDate> expires,
        Optional<String> reason,
        Origin origin) {

    public FirewallException {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(protocol, "protocol");
        ports = List.copyOf(ports);
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(origin, "origin");
        if (!protocol.hasPorts() && !ports.isEmpty()) {
            throw new IllegalArgumentException("icmp exceptions take no ports");
        }
    }

    /** True when the exception still applies on {@code today} (UTC). */
    public boolean isActiveOn(LocalDate today) {
        return expires.map(last -> !today.isAfter(last)).orElse(true);
    }
}
