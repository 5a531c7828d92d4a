package io.qfence.model;

import java.util.Comparator;
import java.util.Objects;

/**
 * One finding about the input or the host, printed as {@code file:line:col: severity: message} (the GNU style that
 * editors and CI annotators understand). Errors make a command fail; warnings are shown and do not.
 */
public record Diagnostic(Severity severity, String file, int line, int column, String message) implements Comparable<Diagnostic> {

    public enum Severity {
        ERROR, WARNING
    }

    private static final Comparator<Diagnostic> ORDER = Comparator.comparing(Diagnostic::file)
            .thenComparingInt(Diagnostic::line).thenComparingInt(Diagnostic::column)
            .thenComparing(Diagnostic::severity).thenComparing(Diagnostic::message);

    public Diagnostic {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(message, "message");
        if (line < 0 || column < 0) {
            throw new IllegalArgumentException("line and column must be >= 0");
        }
    }

    public static Diagnostic error(Origin at, String message) {
        return new Diagnostic(Severity.ERROR, at.file(), at.line(), at.column(), message);
    }

    public static Diagnostic warning(Origin at, String message) {
        return new Diagnostic(Severity.WARNING, at.file(), at.line(), at.column(), message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /**
     * {@code groups/web.yaml:12:5: unknown field 'vlna'}; warnings carry a {@code warning: } marker. Line 0 means the
     * finding is about the whole file or location (e.g. a missing directory), printed as {@code desired-state: ...}.
     * Control and invisible formatting characters in the file name or the message (a refused name may hold ESC, CR
     * or U+202E) are escaped, so a printed line can never erase or rewrite itself on a terminal.
     */
    @Override
    public String toString() {
        String where = line == 0 ? file : file + ":" + line + ":" + column;
        return ControlCharacters.escape(where + ": " + (severity == Severity.WARNING ? "warning: " : "") + message);
    }

    @Override
    public int compareTo(Diagnostic o) {
        return ORDER.compare(this, o);
    }
}
