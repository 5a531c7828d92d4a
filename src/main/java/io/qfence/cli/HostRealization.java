package io.qfence.cli;

import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.plan.diff.FlowSet;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;

/**
 * Realization as {@code plan} and {@code diff} need it: the exact objects qfence owns on one host, and the flows its
 * policy allows there. The composition root supplies it (backed by {@code io.qfence.realize}); tests supply a small
 * stand-in.
 */
@FunctionalInterface
public interface HostRealization {

    /**
     * @throws io.qfence.model.errors.QfenceException when the desired state cannot be realized on that host
     */
    Realized realize(DesiredState state, String host, HostFacts facts, LocalDate today);

    /**
     * @param objects  every object qfence owns on the host
     * @param flows    the reachability relation of the realized policy
     * @param warnings e.g. expired exceptions
     */
    record Realized(List<HostObject> objects, FlowSet flows, List<Diagnostic> warnings) {
        public Realized {
            objects = List.copyOf(objects);
            Objects.requireNonNull(flows, "flows");
            warnings = List.copyOf(warnings);
        }
    }
}
