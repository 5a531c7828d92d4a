package io.qfence.daemon;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.host.HostFacts;
import io.qfence.plan.diff.FlowSet;
import io.qfence.plan.diff.FlowSets;
import io.qfence.realize.Reachability;
import io.qfence.realize.Realizer;
import java.time.LocalDate;

/**
 * Who can reach whom on a host under a desired state: the reachability relation of its realization, as graded
 * automation compares it between the applied revision and a new one. The rule comes from the realized policy,
 * never from the YAML text.
 */
@FunctionalInterface
public interface IsolationView {

    /** @throws InvalidInputException when the state cannot be realized on the host */
    FlowSet flows(DesiredState state, String host, LocalDate today);

    /**
     * The real realization with {@link HostFacts#TYPICAL}: the facts of a host decide how a policy is rendered (cgroup
     * version, bridge netfilter), not which flows it allows.
     */
    static IsolationView realized() {
        return (state, host, today) -> FlowSets.from(Reachability.of(Realizer.realize(state, host, HostFacts.TYPICAL, today)), host);
    }
}
