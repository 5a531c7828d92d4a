package io.qfence.model.desired;

import io.qfence.model.Cidr;
import java.util.List;

/**
 * A TCP port of the host forwarded (DNAT) to a port of the bastion, reachable only from the listed sources.
 * An empty {@code from} list is refused by validation: exposing a bastion to the world must be spelled out as
 * {@code 0.0.0.0/0}.
 */
public record Exposure(int hostPort, int port, List<Cidr> from) {

    public Exposure {
        if (hostPort < 1 || hostPort > 65535 || port < 1 || port > 65535) {
            throw new IllegalArgumentException("ports are 1..65535, got hostPort " + hostPort + " and port " + port);
        }
        from = List.copyOf(from);
    }
}
