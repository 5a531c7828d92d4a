package io.qfence.cli;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Host;
import io.qfence.model.errors.UsageException;

/** {@code --host}: the named host, or the desired state's only one. */
final class HostChoice {

    private HostChoice() {}

    static String of(DesiredState state, String host) {
        if (host != null) {
            return state.host(host).map(Host::name).orElseThrow(() -> new UsageException("no host '" + host
                    + "' in the desired state; it has: " + String.join(", ", state.hosts().stream().map(Host::name).toList())));
        }
        if (state.hosts().size() != 1) {
            throw new UsageException("the desired state has " + state.hosts().size() + " hosts ("
                    + String.join(", ", state.hosts().stream().map(Host::name).toList()) + "): choose one with --host");
        }
        return state.hosts().get(0).name();
    }
}
