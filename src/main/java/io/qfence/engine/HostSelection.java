package io.qfence.engine;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Host;
import io.qfence.model.errors.UsageException;
import java.util.Optional;

/** Which host of the desired state a command is about: the one named, or the only one. */
public final class HostSelection {

    private HostSelection() {}

    /** @throws UsageException when the named host does not exist, or none is named and there is not exactly one */
    public static Host choose(DesiredState state, Optional<String> name) {
        String names = String.join(", ", state.hosts().stream().map(Host::name).toList());
        if (name.isPresent()) {
            return state.host(name.get()).orElseThrow(() -> new UsageException("no host '" + name.get()
                    + "' in the desired state; it has: " + names));
        }
        if (state.hosts().size() != 1) {
            throw new UsageException("the desired state has " + state.hosts().size() + " hosts (" + names + "): choose one with --host");
        }
        return state.hosts().get(0);
    }
}
