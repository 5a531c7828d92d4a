package io.qfence.plan;

import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Computes the plan that takes a host from what was observed to what is desired. Pure and deterministic: the same
 * inputs give an equal plan, and nothing is read from the host, files, clock or environment.
 *
 * <p>The rules that make applying a plan fail-closed (the firewall and the cgroup are in place before a guest starts;
 * a guest is stopped before its network is removed; a firewall change that narrows access runs before one that
 * widens it; every firewall change is one atomic transaction) are kept by {@link ExecutionOrder}. What counts as
 * replacement, restart or drift is documented on {@link Differ}.
 *
 * <p>No plan leaves a running guest without its isolation: one whose steps, in order, would take a running guest's
 * tap, cgroup or firewall restrictions away before stopping it (or without stopping it at all, when guests are out of
 * scope) has errors naming the guest and cannot be applied ({@link GuestIsolation}).
 *
 * <p>Removing a VM stops its guest and removes its network and cgroup. Nothing in a plan ever deletes a disk image:
 * there is no such action.
 */
public final class Planner {

    private Planner() {}

    public static Plan plan(List<HostObject> desired, ObservedHost observed) {
        return plan(desired, observed, PlanOptions.DEFAULTS);
    }

    public static Plan plan(List<HostObject> desired, ObservedHost observed, PlanOptions options) {
        Objects.requireNonNull(desired, "desired");
        Objects.requireNonNull(observed, "observed");
        Objects.requireNonNull(options, "options");
        World want = World.of(desired, "desired");
        World have = World.of(observed.objects(), "observed");
        Optional<Map<String, HostObject>> last = options.lastApplied().map(l -> World.of(l, "last applied").byAddress);
        List<Intent> intents = new Differ(want, have, last).intents();
        List<Change> changes = ExecutionOrder.of(intents, want, have);
        List<String> errors = new ArrayList<>(errors(want, observed));
        errors.addAll(GuestIsolation.violations(changes, have, options.outOfScope()));
        return new Plan(observed.host(), changes, warnings(observed), errors, Digests.of(observed.objects()),
                Digests.of(desired));
    }

    private static List<String> warnings(ObservedHost observed) {
        List<String> w = new ArrayList<>();
        for (ForeignObject f : observed.foreign()) {
            w.add(f.kind() + " " + f.name() + " is not qfence's (" + f.reason() + "); qfence leaves it alone");
        }
        return w;
    }

    /** A desired link whose name a foreign link already has cannot be created: the plan says so and cannot be applied. */
    private static List<String> errors(World want, ObservedHost observed) {
        List<String> e = new ArrayList<>();
        for (ForeignObject f : observed.foreign()) {
            if (f.kind().equals("link")) {
                want.linkNamed(f.name()).ifPresent(address -> e.add(address + " needs the link name " + f.name()
                        + ", which a link that is not qfence's already has (" + f.reason() + ")"));
            }
        }
        return e;
    }
}
