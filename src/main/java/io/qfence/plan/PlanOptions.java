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
 * @param outOfScope  what was observed on the host outside the plan's scope (its guests and links), for the guard of
 *                    running guests only ({@link GuestIsolation}): a plan without guests in scope cannot stop them,
 *                    so those that run keep running through it, and a plan that would take their tap, cgroup or
 *                    firewall restrictions away is refused. Nothing here is planned.
 */
public record PlanOptions(Optional<List<HostObject>> lastApplied, List<HostObject> outOfScope) {

    public static final PlanOptions DEFAULTS = new PlanOptions(Optional.empty());

    public PlanOptions {
        Objects.requireNonNull(lastApplied, "lastApplied");
        lastApplied = lastApplied.map(List::copyOf);
        outOfScope = List.copyOf(outOfScope);
    }

    public PlanOptions(Optional<List<HostObject>> lastApplied) {
        this(lastApplied, List.of());
    }

    /** The same options, with what was observed out of scope. */
    public PlanOptions withOutOfScope(List<? extends HostObject> objects) {
        return new PlanOptions(lastApplied, List.copyOf(objects));
    }

    public static PlanOptions withLastApplied(List<HostObject> lastApplied) {
        return new PlanOptions(Optional.of(lastApplied));
    }
}
