package io.qfence.plan.render;

import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import io.qfence.plan.Summary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plan for a pull-request comment: the summary line, a table of counts per group, the drift and then each group's
 * changes in collapsible sections (as {@code diff} blocks, so that additions and removals are coloured).
 *
 * <p>Never longer than {@link RenderOptions#maxLength()} (60,000 characters by default; GitHub refuses comments
 * over 65,536). A bigger plan degrades in steps: first one line per change instead of attribute diffs, then counts
 * per group with as many change lines as fit and a note of how many were left out.
 */
public final class MarkdownRenderer implements PlanRenderer {

    private enum Detail {
        FULL, LINES, COUNTS
    }

    @Override
    public String render(Plan plan, RenderOptions options) {
        int limit = options.maxLength();
        for (Detail d : List.of(Detail.FULL, Detail.LINES)) {
            String md = document(plan, d, limit);
            if (md.length() <= limit) {
                return md;
            }
        }
        return document(plan, Detail.COUNTS, limit);
    }

    /** {@code group.web} for everything under it; {@code host} for the firewall and host settings. */
    static String groupOf(Change c) {
        String a = c.address();
        int slash = a.indexOf('/');
        return a.startsWith("group.") ? (slash < 0 ? a : a.substring(0, slash)) : "host";
    }

    private static String document(Plan plan, Detail detail, int limit) {
        StringBuilder out = new StringBuilder();
        out.append("### qfence plan for `").append(plan.host()).append("`\n\n");
        if (plan.isEmpty()) {
            out.append("**No changes.** The host matches the desired state.\n");
        } else {
            out.append("**").append(plan.summary().line()).append("**\n\n");
            table(plan, out);
        }
        if (!plan.errors().isEmpty()) {
            out.append("\n**This plan cannot be applied:**\n\n");
            plan.errors().forEach(e -> out.append("- :x: ").append(inline(e)).append('\n'));
        }
        if (!plan.warnings().isEmpty()) {
            out.append("\n**Warnings:**\n\n");
            plan.warnings().forEach(w -> out.append("- :warning: ").append(inline(w)).append('\n'));
        }
        String footer = "\n<sub>observed `" + plan.observedDigest() + "` · desired `" + plan.desiredDigest() + "`</sub>\n";
        if (detail == Detail.COUNTS) {
            counts(plan, out, limit - footer.length());
        } else {
            List<Change> drift = plan.drift();
            if (!drift.isEmpty()) {
                out.append("\n#### Changed outside qfence (drift)\n\n");
                section(drift.size() + " change" + (drift.size() == 1 ? "" : "s") + " undo drift", drift, detail, out);
            }
            Map<String, List<Change>> groups = byGroup(plan.desiredChanges());
            if (!groups.isEmpty()) {
                out.append("\n#### Changes\n\n");
                groups.forEach((g, changes) -> section("<code>" + g + "</code>: " + counts(Summary.of(changes)), changes, detail, out));
            }
        }
        return out.append(footer).toString();
    }

    private static Map<String, List<Change>> byGroup(List<Change> changes) {
        Map<String, List<Change>> groups = new TreeMap<>();
        changes.forEach(c -> groups.computeIfAbsent(groupOf(c), g -> new ArrayList<>()).add(c));
        return groups;
    }

    private static void table(Plan plan, StringBuilder out) {
        out.append("| | add | change | destroy | start | stop |\n|---|--:|--:|--:|--:|--:|\n");
        byGroup(plan.changes()).forEach((g, changes) -> row("`" + g + "`", Summary.of(changes), out));
        row("**total**", plan.summary(), out);
    }

    private static void row(String label, Summary s, StringBuilder out) {
        out.append("| ").append(label).append(" | ").append(s.add()).append(" | ").append(s.change()).append(" | ").append(s.destroy())
                .append(" | ").append(s.start()).append(" | ").append(s.stop()).append(" |\n");
    }

    private static String counts(Summary s) {
        List<String> parts = new ArrayList<>();
        if (s.add() > 0) {
            parts.add(s.add() + " to add");
        }
        if (s.change() > 0) {
            parts.add(s.change() + " to change");
        }
        if (s.destroy() > 0) {
            parts.add(s.destroy() + " to destroy");
        }
        if (s.start() > 0) {
            parts.add(s.start() + " to start");
        }
        if (s.stop() > 0) {
            parts.add(s.stop() + " to stop");
        }
        return String.join(", ", parts);
    }

    private static void section(String summary, List<Change> changes, Detail detail, StringBuilder out) {
        out.append("<details><summary>").append(summary).append("</summary>\n\n");
        if (detail == Detail.FULL) {
            List<String> lines = new ArrayList<>();
            for (Change c : changes) {
                if (!lines.isEmpty()) {
                    lines.add("");
                }
                for (ChangeBlock.Line l : ChangeBlock.of(c)) {
                    lines.add(switch (l.kind()) {
                        case COMMENT -> l.text();
                        case OPEN -> l.symbol() + " " + l.text();
                        case ATTRIBUTE -> l.symbol() + "     " + l.text();
                        case HIDDEN -> "      " + l.text();
                        case CLOSE -> "  " + l.text();
                    });
                }
            }
            String body = String.join("\n", lines);
            String fence = fenceFor(body);
            out.append(fence).append("diff\n").append(body).append('\n').append(fence).append('\n');
        } else {
            changes.forEach(c -> out.append(line(c)).append('\n'));
        }
        out.append("\n</details>\n");
    }

    /** One change on one line: {@code - `-/+` `group.web/vm.web-01` must be restarted (config change ...)}. */
    private static String line(Change c) {
        return "- `" + c.action().symbol() + "` `" + c.address() + "` " + ChangeBlock.verb(c)
                + ChangeBlock.reason(c).map(r -> " (" + inline(r) + ")").orElse("");
    }

    /**
     * The last resort for huge plans: counts per group are already in the table; list changes one per line while
     * they fit, then say how many were left out.
     */
    private static void counts(Plan plan, StringBuilder out, int budget) {
        String head = "\n#### Changes\n\nThe plan is too large to show in full here (" + plan.changes().size()
                + " changes); run `qfence plan` for every detail.\n\n";
        List<Change> all = new ArrayList<>(plan.drift());
        all.addAll(plan.desiredChanges());
        // the table alone may exceed the budget for a plan of very many groups: cut it down first
        if (out.length() + head.length() > budget) {
            String cut = "\n… (the table is cut: too many groups; the summary line above has the totals)\n";
            int end = Math.max(0, budget - head.length() - cut.length() - 200);
            out.setLength(Math.max(0, out.lastIndexOf("\n", end) + 1));
            out.append(cut);
        }
        out.append(head);
        int shown = 0;
        for (Change c : all) {
            String l = line(c) + "\n";
            String note = "\n… and " + (all.size() - shown - 1) + " more changes not shown.\n";
            if (out.length() + l.length() + note.length() > budget) {
                break;
            }
            out.append(l);
            shown++;
        }
        if (shown < all.size()) {
            out.append("\n… and ").append(all.size() - shown).append(" more changes not shown.\n");
        }
    }

    /** Text in a Markdown paragraph or list item: no HTML, no table pipes. */
    static String inline(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|");
    }

    /** A code fence longer than any run of backticks in the body, so the body cannot close it. */
    static String fenceFor(String body) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < body.length(); i++) {
            run = body.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return "`".repeat(Math.max(3, longest + 1));
    }
}
