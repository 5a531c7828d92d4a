package io.qfence.cli;

import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.plan.diff.FlowSet;
import io.qfence.plan.diff.FlowSets;
import io.qfence.realize.Reachability;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;

/**
 * Realization as {@code plan} and {@code diff} need it: the exact objects qfence owns on one host, and the flows its
 * policy allows there. {@link #realizer()} is the real one ({@code io.qfence.realize}); tests may supply a stand-in.
 */
@FunctionalInterface
public interface HostRealization {

    /** {@link Realizer}, with its failures reported as invalid input (every error, with its place). */
    static HostRealization realizer() {
        return (state, host, facts, today) -> {
            Realization r = Realizer.realize(state, host, facts, today);
            return new Realized(r.objects(), FlowSets.from(Reachability.of(r), host), r.warnings());
        };
    }

    /**
     * @throws io.qfence.model.errors.QfenceException when the desired state cannot be realized on that host
     */
    Realized realize(DesiredState state, String host, HostFacts facts, LocalDate today);

    /**
     * @param objects  every object qfence owns on the host
     * @param flows    the reachability relation of the realized policy
     * @param warnings e.g. AppArmor preferred but unavailable (expired exceptions are the loader's warnings)
     */
    record Realized(List<HostObject> objects, FlowSet flows, List<Diagnostic> warnings) {
        public Realized {
            objects = List.copyOf(objects);
            Objects.requireNonNull(flows, "flows");
            warnings = List.copyOf(warnings);
        }
    }
}
