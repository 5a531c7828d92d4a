package io.qfence.cli;

import io.qfence.plan.render.RenderOptions;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --format text|json|markdown} of the commands that report to people, CI and pull requests. */
public final class ReportFormatOptions {

    public enum ReportFormat { text, json, markdown }

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). Text is coloured on a terminal.")
    ReportFormat format;

    public ReportFormat format() {
        return format;
    }

    /** Colour only for text written to a terminal (picocli's detection; NO_COLOR and -Dpicocli.ansi=false turn it off). */
    RenderOptions renderOptions() {
        return format == ReportFormat.text ? textOptions() : RenderOptions.PLAIN;
    }

    /** For text: colour only on a terminal. */
    static RenderOptions textOptions() {
        return CommandLine.Help.Ansi.AUTO.enabled() ? RenderOptions.COLOUR : RenderOptions.PLAIN;
    }
}
