package io.qfence.plan.render;

import io.qfence.plan.Action;
import io.qfence.plan.Change;
import io.qfence.plan.ObjectKind;
import io.qfence.plan.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The lines that show one change, independent of how they are printed (indented text with colours, or a Markdown
 * diff block with the symbol in the first column).
 */
final class ChangeBlock {

    enum LineKind {
        COMMENT, OPEN, ATTRIBUTE, HIDDEN, CLOSE
    }

    /** @param symbol {@code +}, {@code ~}, {@code -/+}, ..., or empty */
    record Line(LineKind kind, String symbol, String text) {}

    private ChangeBlock() {}

    static String verb(Change c) {
        boolean guest = c.kind() == ObjectKind.GUEST;
        return switch (c.action()) {
            case CREATE -> "will be created";
            case UPDATE -> "will be updated in place";
            case DELETE -> "will be destroyed";
            case REPLACE_DELETE_BEFORE_CREATE -> guest ? "must be restarted" : "must be replaced";
            case REPLACE_CREATE_BEFORE_DELETE -> guest ? "must be restarted" : "must be replaced (the new one is created first)";
            case START -> "will be started";
            case STOP -> "will be stopped";
        };
    }

    /** The reason as a reviewer reads it; a guest that is stopped for good says that its disks stay. */
    static Optional<String> reason(Change c) {
        Reason r = c.reason();
        if (r instanceof Reason.New) {
            return Optional.empty();
        }
        String text = r.text();
        if (c.kind() == ObjectKind.GUEST && c.action() == Action.STOP && r instanceof Reason.Removed) {
            text += "; its disk images are kept";
        }
        return Optional.of(text);
    }

    static List<Line> of(Change c) {
        List<Line> lines = new ArrayList<>();
        lines.add(new Line(LineKind.COMMENT, "", "# " + c.address() + " " + verb(c)));
        reason(c).ifPresent(r -> lines.add(new Line(LineKind.COMMENT, "", "# (" + r + ")")));
        lines.add(new Line(LineKind.OPEN, c.action().symbol(), c.kind().jsonName() + " " + quote(c.address()) + " {"));
        DiffLine.Diff diff = DiffLine.of(c);
        int width = diff.lines().stream().mapToInt(l -> l.key().length()).max().orElse(0);
        for (DiffLine d : diff.lines()) {
            String key = d.key() + " ".repeat(width - d.key().length());
            String value = switch (d.symbol()) {
                case '+' -> show(d, d.after().orElseThrow());
                case '-' -> show(d, d.before().orElseThrow()) + " -> null";
                default -> show(d, d.before().orElseThrow()) + " -> " + show(d, d.after().orElseThrow());
            };
            lines.add(new Line(LineKind.ATTRIBUTE, String.valueOf(d.symbol()), key + " = " + value + (d.forcesReplacement() ? " # forces replacement" : "")));
        }
        boolean showsAll = c.action() == Action.CREATE || c.action() == Action.DELETE;
        if (!showsAll && diff.unchanged() > 0) {
            lines.add(new Line(LineKind.HIDDEN, "", "# (" + diff.unchanged() + " unchanged attribute" + (diff.unchanged() == 1 ? "" : "s") + " hidden)"));
        }
        lines.add(new Line(LineKind.CLOSE, "", "}"));
        return lines;
    }

    /** nft syntax as it is (it quotes and escapes its own strings, see {@link NftText}); any other value as a string literal. */
    private static String show(DiffLine d, String value) {
        return d.nft() ? value : quote(value);
    }

    /** A JSON string literal: the value exactly, with quotes, backslashes and control characters escaped. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
