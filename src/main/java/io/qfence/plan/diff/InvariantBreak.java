package io.qfence.plan.diff;

import io.qfence.realize.InvariantViolation;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An invariant the new revision of a diff breaks, as its reviewer reads it: which one, where it is written, what it
 * says and why, whether the old revision broke it already, and each breaching flow with the YAML that allows it.
 *
 * @param at            the invariant's {@code file:line}
 * @param alreadyBroken the old revision breaks it too: this change does not introduce the break
 * @param flows         {@code vm:ci-builder -> vm:db-main tcp 5432 (allowed by exception 4 of group ci at groups/ci.yaml:39:9)}
 */
public record InvariantBreak(String invariant, String at, String statement, String reason, boolean alreadyBroken, List<String> flows) {

    public InvariantBreak {
        Objects.requireNonNull(invariant, "invariant");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(statement, "statement");
        Objects.requireNonNull(reason, "reason");
        flows = List.copyOf(flows);
    }

    /**
     * The breaks of {@code after}, each marked already broken when {@code before} breaks the same invariant; newly
     * broken invariants first, then in the order of their files and lines.
     */
    public static List<InvariantBreak> of(List<InvariantViolation> before, List<InvariantViolation> after) {
        List<String> old = before.stream().map(v -> v.invariant().name()).toList();
        return after.stream().map(v -> new InvariantBreak(v.invariant().name(),
                        v.invariant().origin().file() + ":" + v.invariant().origin().line(), v.invariant().rule().toString(),
                        v.invariant().reason(), old.contains(v.invariant().name()),
                        v.breaches().stream().map(b -> b.flow() + (b.causes().isEmpty() ? "" : " (allowed by " + b.causes().stream()
                                .map(c -> c.what() + " at " + c.at()).collect(Collectors.joining(", ")) + ")")).toList()))
                .sorted(java.util.Comparator.comparing(InvariantBreak::alreadyBroken)).toList();
    }
}
