package io.qfence.cli;

import picocli.CommandLine.Option;

/** {@code --by NAME}: who suspends, resumes or approves, for the record. */
public final class OperatorName {

    @Option(names = "--by", paramLabel = "NAME",
            description = "Who does this, for the record (default: $SUDO_USER, else $USER).")
    String by;

    String name() {
        if (by != null && !by.isBlank()) {
            return by.strip();
        }
        for (String variable : new String[] {"SUDO_USER", "USER"}) {
            String value = System.getenv(variable);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return "unknown";
    }
}
