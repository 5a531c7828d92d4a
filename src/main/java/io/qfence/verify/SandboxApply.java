package io.qfence.verify;

import io.qfence.apply.Applier;
import io.qfence.apply.ApplyListener;
import io.qfence.apply.Step;
import io.qfence.host.GuestPort;
import io.qfence.host.HostConnector;
import io.qfence.host.HostObserver;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.host.Scope;
import io.qfence.model.errors.HostOperationException;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Plan;
import io.qfence.plan.Planner;
import io.qfence.realize.Realization;
import java.time.Duration;
import java.util.Optional;

/**
 * How a verify run puts the realization in place on its sandbox, guests included. There is one way,
 * {@link #throughApplier}, the code of {@code qfence apply}: what verify proves is what apply builds.
 */
@FunctionalInterface
public interface SandboxApply {

    /**
     * @param guests the sandbox's guest port, to start the guests with (the verifier wraps it to time each boot)
     */
    void apply(Sandbox sandbox, GuestPort guests, Realization realization, Progress progress);

    /**
     * With the same code as {@code qfence apply}: the sandbox's host is opened through {@code connector} (its network
     * namespace, this machine's cgroups), observed, planned against the realization and applied by the
     * {@link Applier}, with every post-condition and fail-closed guest precondition, at most {@code concurrency}
     * guests starting at a time; each step is reported to the progress.
     */
    static SandboxApply throughApplier(HostConnector connector, int concurrency) {
        return (sandbox, guests, realization, progress) -> {
            HostTarget target = new HostTarget(Optional.of(sandbox.hostNamespace().toString()), Optional.empty());
            try (HostPorts opened = connector.connect(target)) {
                HostPorts ports = opened.withGuests(guests);
                String cgroupParent = sandbox.overrides().cgroupParent().orElseThrow(
                        () -> new IllegalStateException("a sandbox always re-roots the cgroup parent"));
                ObservedHost observed = new HostObserver(ports).observe(realization.host(), realization.facts(), realization.objects(),
                        cgroupParent, Scope.ALL);
                Plan plan = Planner.plan(realization.objects(), observed);
                if (!plan.isApplicable()) {
                    throw new IllegalStateException("the sandbox's plan cannot be applied: " + String.join("; ", plan.errors()));
                }
                progress.step("sandbox", "applying " + plan.changes().size() + " changes, as qfence apply does");
                new Applier(ports, concurrency).apply(plan, new ApplyListener() {
                    @Override
                    public void message(Step step, String message) {
                        progress.step(step.change().address(), message);
                    }

                    @Override
                    public void failed(Step step, Duration took, HostOperationException error) {
                        progress.step(step.change().address(), "failed: " + error.getMessage());
                    }
                }).orThrow();
            }
        };
    }
}
