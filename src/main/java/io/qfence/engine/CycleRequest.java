package io.qfence.engine;

import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import java.util.Objects;
import java.util.Optional;

/**
 * What one reconcile cycle works on.
 *
 * @param host      the host of the desired state to reconcile; empty means its only host
 * @param overrides re-roots the host's directories and cgroup parent (tests, demos, sandboxes)
 * @param scope     which parts of the host to observe, plan and apply
 */
public record CycleRequest(DesiredStateSource source, Optional<String> host, HostOverrides overrides, Scope scope) {

    public CycleRequest {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(overrides, "overrides");
        Objects.requireNonNull(scope, "scope");
    }

    /** The source's only host, everything in scope, no overrides. */
    public static CycleRequest of(DesiredStateSource source) {
        return new CycleRequest(source, Optional.empty(), HostOverrides.NONE, Scope.ALL);
    }

    public CycleRequest withHost(String name) {
        return new CycleRequest(source, Optional.of(name), overrides, scope);
    }

    public CycleRequest withOverrides(HostOverrides newOverrides) {
        return new CycleRequest(source, host, newOverrides, scope);
    }

    public CycleRequest withScope(Scope newScope) {
        return new CycleRequest(source, host, overrides, newScope);
    }
}
