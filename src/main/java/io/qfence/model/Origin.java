package io.qfence.model;

import java.util.Objects;

/**
 * Where a piece of desired state was written: a file relative to the desired-state root, and a 1-based line
 * and column. Carried through realization so that plans and warnings can point reviewers at the exact YAML.
 */
public record Origin(String file, int line, int column) {

    /** For values that were built in code rather than read from a file (tests, generated scenarios). */
    public static final Origin UNKNOWN = new Origin("<generated>", 0, 0);

    public Origin {
        Objects.requireNonNull(file, "file");
        if (line < 0 || column < 0) {
            throw new IllegalArgumentException("line and column must be >= 0, got " + line + ":" + column);
        }
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
