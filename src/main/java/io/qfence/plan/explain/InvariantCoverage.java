package io.qfence.plan.explain;

import io.qfence.model.desired.DesiredState;
import io.qfence.realize.FlowProtocol;
import io.qfence.realize.InvariantCheck;
import io.qfence.realize.InvariantViolation;
import io.qfence.realize.Ports;
import io.qfence.realize.Reach;
import io.qfence.realize.ReachabilityRelation;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The invariants (issue 18's {@code policies/}) that speak about one question, and whether each holds for the
 * answer. A seam, so that explanations are built without knowing the invariant model: {@link #NONE} until a desired
 * state carries invariants.
 */
@FunctionalInterface
public interface InvariantCoverage {

    /** No invariant model: explanations then say nothing about invariants (rather than claiming none cover them). */
    InvariantCoverage NONE = (query, allowed) -> List.of();

    /**
     * The desired state's invariants (§18), judged over the relation they are evaluated on (every host's, united):
     * those whose selectors and traffic cover the question ({@link InvariantCheck#covering}), each holding unless one
     * of its breaches is between the question's two endpoints.
     */
    static InvariantCoverage of(DesiredState state, LocalDate today) {
        if (state.invariants().isEmpty()) {
            return NONE;
        }
        ReachabilityRelation relation = InvariantCheck.relationOf(state, today);
        List<InvariantViolation> violations = InvariantCheck.evaluate(state, relation);
        return (query, allowed) -> {
            FlowProtocol protocol = query.protocol().orElse(FlowProtocol.ANY);
            Ports ports = protocol.hasPorts() ? Ports.single(query.port()) : Ports.NONE;
            Reach asked = new Reach(query.source(), query.destination(), protocol, ports, OptionalInt.empty());
            String pair = query.source() + " -> " + query.destination() + " ";
            return InvariantCheck.covering(state, relation, asked).stream().map(inv -> new InvariantNote(inv.name(), inv.origin().toString(),
                    inv.rule().toString(), violations.stream().filter(v -> v.invariant().equals(inv)).flatMap(v -> v.breaches().stream())
                            .noneMatch(b -> b.entry().map(e -> e.source().equals(query.source()) && e.destination().equals(query.destination()))
                                    .orElse(b.flow().startsWith(pair))))).toList();
        };
    }

    /**
     * @param allowed the explanation's answer: whether the traffic asked about is allowed
     */
    List<InvariantNote> covering(ExplainQuery query, boolean allowed);

    /**
     * One invariant that covers a question.
     *
     * @param name      the invariant's name
     * @param origin    where it is written, {@code policies/isolation.yaml:12:5}
     * @param statement what it says, in its own words ({@code deny group:ci -> group:db})
     * @param holds     whether the answer satisfies it
     */
    record InvariantNote(String name, String origin, String statement, boolean holds) {
        public InvariantNote {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(origin, "origin");
            Objects.requireNonNull(statement, "statement");
        }
    }
}
