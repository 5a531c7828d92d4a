package io.qfence.plan.diff;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.plan.render.RenderOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Renders an {@link IsolationDiff} as text (for a terminal), JSON (for CI; versioned by {@code format_version}) or
 * Markdown (for a pull-request comment, capped at {@link RenderOptions#maxLength()}).
 */
public final class IsolationDiffRenderer {

    /** 1.1: {@code invariants_broken} (DESIGN.md §18). */
    public static final String FORMAT_VERSION = "1.2";

    /** A pull-request comment names this many flows per broken invariant; {@code qfence diff} names them all. */
    private static final int MAX_FLOWS_PER_INVARIANT = 5;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private IsolationDiffRenderer() {}

    public static String render(IsolationDiff diff, String format, RenderOptions options) {
        return render(diff, format, options, Optional.empty());
    }

    /** With a reachability graph of the new revision, which Markdown draws as a Mermaid block (text and JSON do not). */
    public static String render(IsolationDiff diff, String format, RenderOptions options, Optional<ReachabilityGraph> graph) {
        return switch (format) {
            case "text" -> text(diff, options);
            case "json" -> json(diff);
            case "markdown" -> markdown(diff, options, graph);
            default -> throw new IllegalArgumentException("unknown format '" + format + "': expected text, json or markdown");
        };
    }

    /** {@code Breaks 1 invariant (1 newly).}, or {@code Breaks no new invariant; 1 was already broken.} */
    public static String brokenLine(IsolationDiff d) {
        long fresh = d.broken().stream().filter(b -> !b.alreadyBroken()).count();
        long old = d.broken().size() - fresh;
        if (fresh == 0) {
            return "Breaks no new invariant; " + old + " " + (old == 1 ? "was" : "were") + " already broken.";
        }
        return "Breaks " + fresh + " invariant" + (fresh == 1 ? "" : "s") + (old > 0 ? " (and " + old + " already broken)" : "")
                + ": validate, plan, apply and the daemon refuse this revision.";
    }

    /** {@code Access widens: 1 flow gained, 2 lost.} */
    public static String verdict(IsolationDiff d) {
        int gained = d.gained().entries().size();
        int lost = d.lost().entries().size();
        String counts = gained + " flow" + (gained == 1 ? "" : "s") + " gained, " + lost + " lost";
        if (d.widens()) {
            return "Access widens: " + counts + ".";
        }
        if (d.narrows()) {
            return "Access narrows: " + counts + ".";
        }
        return "Access is unchanged.";
    }

    public static String text(IsolationDiff d, RenderOptions options) {
        String green = options.colour() ? "\u001b[32m" : "";
        String red = options.colour() ? "\u001b[31m" : "";
        String yellow = options.colour() ? "\u001b[33m" : "";
        String bold = options.colour() ? "\u001b[1m" : "";
        String reset = options.colour() ? "\u001b[0m" : "";
        StringBuilder out = new StringBuilder();
        out.append("Isolation diff from ").append(d.from()).append(" to ").append(d.to()).append('\n');
        if (d.isEmpty()) {
            return out.append("\nNo isolation changes.\n").toString();
        }
        if (!d.broken().isEmpty()) {
            // First: a broken invariant is what a reviewer must see before any flow.
            out.append("\n").append(bold).append(red).append(brokenLine(d)).append(reset).append('\n');
            for (InvariantBreak b : d.broken()) {
                out.append("  ").append(red).append('!').append(reset).append(' ').append(b.invariant()).append(" (").append(b.at())
                        .append("): ").append(b.statement()).append(b.alreadyBroken() ? " [already broken at " + d.from() + "]" : "")
                        .append('\n').append("      reason: ").append(b.reason()).append('\n');
                b.flows().forEach(f -> out.append("      ").append(f).append('\n'));
            }
        }
        if (!d.gained().isEmpty()) {
            out.append("\nFlows gained (access widens):\n");
            d.gained().entries().forEach(e -> out.append("  ").append(green).append('+').append(reset).append(' ').append(e).append('\n'));
        }
        if (!d.lost().isEmpty()) {
            out.append("\nFlows lost (access narrows):\n");
            d.lost().entries().forEach(e -> out.append("  ").append(red).append('-').append(reset).append(' ').append(e).append('\n'));
        }
        if (!d.settings().isEmpty()) {
            out.append("\nOther changes:\n");
            for (SettingChange s : d.settings()) {
                char sym = s.before().isEmpty() ? '+' : s.after().isEmpty() ? '-' : '~';
                String colour = sym == '+' ? green : sym == '-' ? red : yellow;
                out.append("  ").append(colour).append(sym).append(reset).append(' ').append(s).append('\n');
            }
        }
        return out.append('\n').append(bold).append(verdict(d)).append(reset).append('\n').toString();
    }

    public static String json(IsolationDiff d) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format_version", FORMAT_VERSION);
        root.put("from", d.from());
        root.put("to", d.to());
        root.put("widens", d.widens());
        root.put("narrows", d.narrows());
        root.put("breaks_invariants", d.breaksInvariants());
        ArrayNode broken = root.putArray("invariants_broken");
        for (InvariantBreak b : d.broken()) {
            ObjectNode n = broken.addObject();
            n.put("invariant", b.invariant());
            n.put("at", b.at());
            n.put("statement", b.statement());
            n.put("reason", b.reason());
            n.put("already_broken", b.alreadyBroken());
            ArrayNode flows = n.putArray("flows");
            b.flows().forEach(flows::add);
        }
        flows(root.putArray("gained"), d.gained());
        flows(root.putArray("lost"), d.lost());
        ArrayNode settings = root.putArray("settings");
        for (SettingChange s : d.settings()) {
            ObjectNode n = settings.addObject();
            n.put("subject", s.subject());
            n.put("setting", s.setting());
            n.put("before", s.before().orElse(null));
            n.put("after", s.after().orElse(null));
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("diffs must always serialize", e);
        }
    }

    private static void flows(ArrayNode array, FlowSet flows) {
        for (FlowEntry e : flows.entries()) {
            ObjectNode n = array.addObject();
            n.put("source", e.source());
            n.put("destination", e.destination());
            n.put("protocol", e.protocol());
            n.put("ports", e.ports());
        }
    }

    public static String markdown(IsolationDiff d, RenderOptions options) {
        return markdown(d, options, Optional.empty());
    }

    /**
     * With {@code graph}: after the flow rows, the new revision's group-level picture with gained flows highlighted,
     * within the comment's budget (a picture that would take more than half of it is left out, with a note).
     */
    public static String markdown(IsolationDiff d, RenderOptions options, Optional<ReachabilityGraph> graph) {
        StringBuilder head = new StringBuilder();
        head.append("### qfence isolation diff `").append(d.from()).append("` → `").append(d.to()).append("`\n\n");
        if (d.isEmpty()) {
            return head.append("**No isolation changes.**\n").toString();
        }
        if (!d.broken().isEmpty()) {
            // First, before the verdict on flows: the invariants this change breaks, each with its flows.
            head.append("**:no_entry: ").append(brokenLine(d)).append("**\n\n");
            head.append("| invariant | defined at | statement | breaking flows |\n|---|---|---|---|\n");
            for (InvariantBreak b : d.broken()) {
                String flows = b.flows().stream().limit(MAX_FLOWS_PER_INVARIANT).map(IsolationDiffRenderer::cell)
                        .collect(java.util.stream.Collectors.joining("<br>"))
                        + (b.flows().size() > MAX_FLOWS_PER_INVARIANT ? "<br>… and " + (b.flows().size() - MAX_FLOWS_PER_INVARIANT) + " more" : "");
                head.append("| ").append(cell(b.invariant())).append(b.alreadyBroken() ? " (already broken)" : "").append(" | ")
                        .append(cell(b.at())).append(" | ").append(cell(b.statement())).append(" | ").append(flows).append(" |\n");
            }
            head.append('\n');
        }
        head.append(d.widens() ? "**:warning: " : "**").append(verdict(d)).append("**\n");
        List<String> rows = new ArrayList<>();
        d.gained().entries().forEach(e -> rows.add(flowRow("gained", e)));
        d.lost().entries().forEach(e -> rows.add(flowRow("lost", e)));
        List<String> settingRows = new ArrayList<>();
        d.settings().forEach(s -> settingRows.add("| " + cell(s.subject()) + " | " + cell(s.setting()) + " | " + cell(s.before()) + " | "
                + cell(s.after()) + " |"));
        StringBuilder out = new StringBuilder(head);
        String flowHeader = "\n| | source | destination | protocol | ports |\n|---|---|---|---|---|\n";
        String settingsHeader = "\n<details><summary>" + d.settings().size() + " other change" + (d.settings().size() == 1 ? "" : "s")
                + " (VLANs, subnets, limits, lifecycle)</summary>\n\n| subject | setting | before | after |\n|---|---|---|---|\n";
        String settingsFooter = "\n</details>\n";
        String picture = graph.map(g -> "\n#### Reachability after the change (groups; highlighted: "
                + (g.edges().stream().anyMatch(e -> e.mark() == ReachabilityGraph.EdgeMark.BROKEN) ? "flows that break an invariant, " : "")
                + "gained flows)\n" + GraphRenderer.markdownBlock(g)).orElse("");
        if (picture.length() > options.maxLength() / 2) {
            picture = "\n*The reachability graph is too large for this comment; run `qfence graph` for it.*\n";
        }
        int budget = options.maxLength() - 200 - picture.length();
        int omitted = 0;
        if (!rows.isEmpty()) {
            out.append(flowHeader);
            for (String r : rows) {
                if (out.length() + r.length() + 1 > budget * 3 / 4) {
                    omitted++;
                    continue;
                }
                out.append(r).append('\n');
            }
        }
        out.append(picture);
        if (!settingRows.isEmpty()) {
            out.append(settingsHeader);
            for (String r : settingRows) {
                if (out.length() + r.length() + 1 + settingsFooter.length() > budget) {
                    omitted++;
                    continue;
                }
                out.append(r).append('\n');
            }
            out.append(settingsFooter);
        }
        if (omitted > 0) {
            out.append("\n… and ").append(omitted).append(" more rows not shown; run `qfence diff` for all of them.\n");
        }
        return out.toString();
    }

    private static String flowRow(String how, FlowEntry e) {
        return "| " + (how.equals("gained") ? ":heavy_plus_sign: gained" : ":heavy_minus_sign: lost") + " | " + cell(e.source()) + " | "
                + cell(e.destination()) + " | " + e.protocol() + " | " + (e.ports().isEmpty() ? "" : cell(e.ports())) + " |";
    }

    private static String cell(Optional<String> s) {
        return s.map(IsolationDiffRenderer::cell).orElse("*(none)*");
    }

    private static String cell(String s) {
        return "`" + s.replace("|", "\\|").replace("`", "'") + "`";
    }
}
