package io.qfence.engine;

import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.realize.InvariantCheck;
import io.qfence.source.LoadResult;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a loaded desired state meets its invariants: {@code validate}, {@code plan}, {@code apply} and the daemon
 * pass every load through here, so a state that breaks an invariant is refused by all of them alike, before
 * anything touches the host. Loading ({@code source}) cannot do it itself: the verdict needs the reachability
 * relation, which only realization computes (DESIGN.md §18).
 */
public final class InvariantGate {

    private InvariantGate() {}

    /**
     * {@code loaded} when it is invalid already or breaks no invariant; otherwise the same diagnostics plus one error
     * at each cause and at each broken invariant, and no state. A state whose policy cannot be built on one of its
     * hosts is refused with the realizer's errors, as {@code plan} would refuse it.
     */
    public static LoadResult check(LoadResult loaded, LocalDate today) {
        if (!loaded.ok() || loaded.state().orElseThrow().invariants().isEmpty()) {
            return loaded;
        }
        List<Diagnostic> errors;
        try {
            errors = InvariantCheck.diagnostics(InvariantCheck.evaluate(loaded.state().orElseThrow(), today));
        } catch (InvalidInputException e) {
            errors = e.diagnostics();
        }
        if (errors.isEmpty()) {
            return loaded;
        }
        List<Diagnostic> all = new ArrayList<>(loaded.diagnostics());
        all.addAll(errors);
        return new LoadResult(Optional.empty(), all.stream().distinct().sorted().toList());
    }

    /** The state of {@code loaded} after {@link #check}, or the refusal every command reports as invalid input. */
    public static DesiredState require(LoadResult loaded, LocalDate today) {
        LoadResult checked = check(loaded, today);
        if (!checked.ok()) {
            throw new InvalidInputException(checked.diagnostics());
        }
        return checked.state().orElseThrow();
    }
}
