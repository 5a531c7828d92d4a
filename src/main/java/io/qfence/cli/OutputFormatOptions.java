package io.qfence.cli;

import picocli.CommandLine.Option;

/** The output format of a command; shared so that every command spells it the same way. */
public final class OutputFormatOptions {

    public enum Format { text, json }

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    public Format format() {
        return format;
    }
}
