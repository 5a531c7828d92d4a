package io.qfence.plan.explain;

import java.util.List;
import java.util.Objects;

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
