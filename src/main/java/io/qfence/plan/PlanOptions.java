package io.qfence.plan;

import io.qfence.model.host.HostObject;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Optional inputs of {@link Planner#plan(List, io.qfence.model.host.ObservedHost, PlanOptions)}.
 *
 * @param lastApplied the realization qfence last applied to this host, when it kept a record of it. It is what lets
 *                    the planner tell drift (the host moved, the desired state did not) from a change of the desired
 *                    state. Without it, only what can never be qfence's doing (a crashed or paused guest) is drift.
 */
public record PlanOptions(Optional<List<HostObject>> lastApplied) {

    public static final PlanOptions DEFAULTS = new PlanOptions(Optional.empty());

    public PlanOptions {
        Objects.requireNonNull(lastApplied, "lastApplied");
        lastApplied = lastApplied.map(List::copyOf);
    }

    public static PlanOptions withLastApplied(List<HostObject> lastApplied) {
        return new PlanOptions(Optional.of(lastApplied));
    }
}
