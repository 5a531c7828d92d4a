package io.qfence.model.errors;

import io.qfence.model.Diagnostic;
import java.util.List;

/** The desired state (or another input file) is invalid; the diagnostics say where and why, all of them. */
public final class InvalidInputException extends QfenceException {

    private final transient List<Diagnostic> diagnostics;

    public InvalidInputException(List<Diagnostic> diagnostics) {
        super(summary(diagnostics));
        this.diagnostics = List.copyOf(diagnostics);
    }

    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    private static String summary(List<Diagnostic> diagnostics) {
        long errors = diagnostics.stream().filter(Diagnostic::isError).count();
        return "invalid input: " + errors + (errors == 1 ? " error" : " errors")
                + diagnostics.stream().filter(Diagnostic::isError).findFirst().map(d -> ", first: " + d).orElse("");
    }
}
