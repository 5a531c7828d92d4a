package io.qfence.app;

import io.qfence.cli.CycleFactory;
import io.qfence.daemon.EngineCycle;
import io.qfence.daemon.ReconcileCycle;
import io.qfence.host.HostConnector;
import io.qfence.model.errors.UsageException;
import java.util.Objects;

/**
 * {@code qfence reconcile}'s cycles on the live host: the engine over the same adapters as {@code qfence apply}, in
 * the namespace and cgroup subtree the host options name, guests included unless the scope leaves them out. Refused
 * up front, with the reason, when the process cannot reach the live host.
 */
final class LiveCycles implements CycleFactory {

    private final HostConnector host;

    LiveCycles(HostConnector host) {
        this.host = Objects.requireNonNull(host, "host");
    }

    @Override
    public ReconcileCycle create(Where where) {
        if (!host.available()) {
            throw new UsageException("qfence reconcile changes the live host, which needs root on Linux");
        }
        return new EngineCycle(host, where.target(), where.overrides(), where.scope());
    }
}
