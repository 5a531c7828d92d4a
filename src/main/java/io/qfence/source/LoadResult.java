package io.qfence.source;

import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of loading a desired state: the state when it is valid, and every diagnostic (errors and warnings),
 * sorted by file, line and column. The state is present exactly when there is no error.
 */
public record LoadResult(Optional<DesiredState> state, List<Diagnostic> diagnostics) {

    public LoadResult {
        Objects.requireNonNull(state, "state");
        diagnostics = List.copyOf(diagnostics);
        boolean errors = diagnostics.stream().anyMatch(Diagnostic::isError);
        if (state.isPresent() == errors) {
            throw new IllegalArgumentException("a load result has a state exactly when it has no errors");
        }
    }

    public boolean ok() {
        return state.isPresent();
    }

    public List<Diagnostic> errors() {
        return diagnostics.stream().filter(Diagnostic::isError).toList();
    }

    public List<Diagnostic> warnings() {
        return diagnostics.stream().filter(d -> !d.isError()).toList();
    }
}
