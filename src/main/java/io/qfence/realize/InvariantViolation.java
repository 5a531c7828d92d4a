package io.qfence.realize;

import io.qfence.model.Origin;
import io.qfence.model.desired.Invariant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An invariant that the reachability relation of a desired state breaks, with every flow that breaks it.
 *
 * @param breaches sorted by flow; never empty
 */
public record InvariantViolation(Invariant invariant, List<Breach> breaches) {

    public InvariantViolation {
        Objects.requireNonNull(invariant, "invariant");
        breaches = List.copyOf(breaches);
        if (breaches.isEmpty()) {
            throw new IllegalArgumentException("a violation names at least one flow");
        }
    }

    /**
     * One flow that breaks the invariant.
     *
     * @param flow   the relation entry as {@link Reach#toString()} prints it, or for {@code require} the missing
     *               traffic ({@code vm:web-app-1 -> vm:db-main tcp 5432 missing})
     * @param entry  the relation entry that breaks it; empty for missing traffic
     * @param causes the exceptions and group settings whose policy flows make up the entry, sorted by place; empty
     *               for missing traffic (nothing allows it)
     */
    public record Breach(String flow, Optional<Reach> entry, List<Cause> causes) {
        public Breach {
            Objects.requireNonNull(flow, "flow");
            Objects.requireNonNull(entry, "entry");
            causes = causes.stream().distinct().sorted(java.util.Comparator.comparing((Cause c) -> c.at().file())
                    .thenComparingInt(c -> c.at().line()).thenComparingInt(c -> c.at().column()).thenComparing(Cause::what)).toList();
        }
    }

    /**
     * What in the YAML allows a breaching flow.
     *
     * @param what {@code exception 4 of group ci}, {@code intraGroup of group web}, {@code egress of group web},
     *             {@code bastion of group db}, {@code bastion.expose of group web}
     * @param at   the exception's entry, or the group's document for a group setting
     */
    public record Cause(String what, Origin at) {
        public Cause {
            Objects.requireNonNull(what, "what");
            Objects.requireNonNull(at, "at");
        }
    }
}
