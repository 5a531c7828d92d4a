package io.qfence.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The manual pages, in roff (man(7)), rendered from the picocli model of the commands: what {@code --help} says is what
 * {@code man qfence-reconcile} says, so the two cannot drift apart. Written here rather than with picocli-codegen's
 * generator because that one writes AsciiDoc, and no AsciiDoc-to-roff converter is at hand in the offline build.
 *
 * <p>One page per command: {@code qfence(1)} for the root, {@code qfence-NAME(1)} for each subcommand (git's
 * convention). Pure: text in, text out.
 */
public final class ManPage {

    private ManPage() {}

    /** Every page of {@code root} and its subcommands, by file name ({@code qfence.1}, {@code qfence-apply.1}, ...). */
    public static Map<String, String> all(CommandLine root, String date) {
        Map<String, String> pages = new java.util.TreeMap<>();
        pages.put(pageName(root.getCommandSpec()) + ".1", render(root.getCommandSpec(), date));
        for (CommandLine sub : root.getSubcommands().values()) {
            pages.put(pageName(sub.getCommandSpec()) + ".1", render(sub.getCommandSpec(), date));
        }
        return pages;
    }

    /** {@code qfence} or {@code qfence-reconcile}. */
    static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    /** The page of one command. */
    static String render(CommandSpec spec, String date) {
        StringBuilder out = new StringBuilder();
        String name = pageName(spec);
        String version = spec.root().version().length > 0 ? spec.root().version()[0] : "qfence";
        out.append(".\\\" Generated from the picocli commands (io.qfence.cli.ManPage); do not edit.\n");
        out.append(".TH ").append(quote(name.toUpperCase(Locale.ROOT))).append(" 1 ").append(quote(date))
                .append(' ').append(quote(version)).append(" \"qfence manual\"\n");
        out.append(".SH NAME\n").append(escape(name)).append(" \\- ").append(escape(summary(spec))).append('\n');

        out.append(".SH SYNOPSIS\n.B ").append(escape(spec.qualifiedName(" "))).append('\n');
        if (!spec.options().isEmpty()) {
            out.append("[\\fIOPTIONS\\fR]\n");
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (!p.hidden()) {
                out.append(p.arity().min() == 0 ? "[\\fI" : "\\fI").append(escape(p.paramLabel()))
                        .append(p.arity().min() == 0 ? "\\fR]" : "\\fR").append(p.arity().max() > 1 ? "...\n" : "\n");
            }
        }
        if (!spec.subcommands().isEmpty()) {
            out.append("\\fICOMMAND\\fR\n");
        }

        String[] description = spec.usageMessage().description();
        if (description.length > 0) {
            out.append(".SH DESCRIPTION\n");
            paragraphs(out, List.of(description));
        }

        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (!options.isEmpty()) {
            out.append(".SH OPTIONS\n");
            for (OptionSpec o : options) {
                out.append(".TP\n").append(optionHeader(o)).append('\n');
                paragraphs(out, describe(o));
            }
        }
        List<PositionalParamSpec> positionals = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!positionals.isEmpty()) {
            out.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : positionals) {
                out.append(".TP\n\\fI").append(escape(p.paramLabel())).append("\\fR\n");
                paragraphs(out, describe(p));
            }
        }
        if (!spec.subcommands().isEmpty()) {
            out.append(".SH COMMANDS\n");
            for (Map.Entry<String, CommandLine> sub : spec.subcommands().entrySet()) {
                CommandSpec s = sub.getValue().getCommandSpec();
                if (!sub.getKey().equals(s.name()) || s.usageMessage().hidden()) {
                    continue; // an alias, or hidden
                }
                out.append(".TP\n\\fB").append(escape(s.name())).append("\\fR\n").append(escape(summary(s)))
                        .append(" See \\fB").append(escape(pageName(s))).append("\\fR(1).\n");
            }
        }
        String[] footer = spec.usageMessage().footer();
        List<String> notes = java.util.Arrays.stream(footer).filter(l -> !l.isBlank()).toList();
        if (!notes.isEmpty()) {
            out.append(".SH NOTES\n");
            paragraphs(out, notes);
        }
        out.append(".SH SEE ALSO\n");
        if (spec.parent() == null) {
            out.append("/usr/share/doc/qfence/README.md.gz, \\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1)\n");
        } else {
            out.append("\\fB").append(escape(pageName(spec.root()))).append("\\fR(1)\n");
        }
        return out.toString();
    }

    /** The first sentence of the description, for NAME: man's one-line summary. */
    private static String summary(CommandSpec spec) {
        String[] description = spec.usageMessage().description();
        String first = description.length == 0 ? spec.name() : description[0].strip();
        return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
    }

    /** {@code \fB--repo\fR=\fIURL|PATH\fR, ...}: each name in bold, the parameter in italics, as man(7) advises. */
    private static String optionHeader(OptionSpec o) {
        String names = java.util.Arrays.stream(o.names()).map(n -> "\\fB" + escape(n) + "\\fR")
                .collect(Collectors.joining(", "));
        return o.arity().max() > 0 ? names + "=\\fI" + escape(o.paramLabel()) + "\\fR" : names;
    }

    /** The description as --help shows it: picocli's variables resolved for this option. */
    private static List<String> describe(ArgSpec arg) {
        List<String> lines = new ArrayList<>();
        String defaultValue = arg.defaultValueString();
        String candidates = arg.completionCandidates() == null ? "" : String.join(", ",
                (Iterable<String>) arg.completionCandidates());
        for (String line : arg.description()) {
            lines.add(line.replace("${DEFAULT-VALUE}", String.valueOf(defaultValue))
                    .replace("${COMPLETION-CANDIDATES}", candidates));
        }
        return lines;
    }

    private static void paragraphs(StringBuilder out, List<String> lines) {
        boolean first = true;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            if (!first) {
                out.append(".PP\n");
            }
            out.append(escape(line.strip())).append('\n');
            first = false;
        }
    }

    /**
     * Text as roff reads it literally: a backslash is {@code \e}, a hyphen {@code \-} (so that option names can be
     * searched and copied), and a line that starts with a dot or an apostrophe is guarded by {@code \&}, which would
     * otherwise be a request.
     */
    static String escape(String text) {
        String s = text.replace("\\", "\\e").replace("-", "\\-");
        if (s.startsWith(".") || s.startsWith("'")) {
            s = "\\&" + s;
        }
        return s;
    }

    private static String quote(String text) {
        return "\"" + escape(text).replace("\"", "\\(dq") + "\"";
    }
}
