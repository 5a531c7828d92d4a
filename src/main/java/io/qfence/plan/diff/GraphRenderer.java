package io.qfence.plan.diff;

import io.qfence.plan.diff.ReachabilityGraph.EdgeMark;
import io.qfence.plan.diff.ReachabilityGraph.GraphEdge;
import io.qfence.plan.diff.ReachabilityGraph.GraphNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link ReachabilityGraph} as Mermaid (which GitHub and GitLab draw in a pull-request comment) or Graphviz DOT.
 * Marked edges carry their mark in the label too ({@code + } gained, {@code - } lost, {@code ! } broken), so the
 * picture reads the same where colours are not drawn.
 */
public final class GraphRenderer {

    private GraphRenderer() {}

    /** A {@code flowchart LR}; node kinds as {@code classDef}s, marked edges by {@code linkStyle}. */
    public static String mermaid(ReachabilityGraph g) {
        StringBuilder out = new StringBuilder("flowchart LR\n");
        for (GraphNode n : g.nodes()) {
            String label = mermaidText(n.label());
            out.append("  ").append(n.id()).append(switch (n.kind()) {
                case GROUP -> "[\"" + label + "\"]";
                case HOST -> "[[\"" + label + "\"]]";
                case INTERNET, PREFIX, OUTSIDE -> "((\"" + label + "\"))";
            }).append('\n');
        }
        List<String> styles = new ArrayList<>();
        for (int i = 0; i < g.edges().size(); i++) {
            GraphEdge e = g.edges().get(i);
            String arrow = e.mark() == EdgeMark.LOST ? "-.->" : e.mark() == EdgeMark.NONE ? "-->" : "==>";
            out.append("  ").append(e.from()).append(' ').append(arrow).append("|\"").append(mermaidText(prefix(e.mark()) + e.label()))
                    .append("\"| ").append(e.to()).append('\n');
            switch (e.mark()) {
                case BROKEN -> styles.add("  linkStyle " + i + " stroke:#d73a49,stroke-width:4px");
                case GAINED -> styles.add("  linkStyle " + i + " stroke:#e36209,stroke-width:3px");
                case LOST -> styles.add("  linkStyle " + i + " stroke:#959da5,stroke-dasharray:4");
                case NONE -> { }
            }
        }
        styles.forEach(s -> out.append(s).append('\n'));
        out.append("  classDef group fill:#f1f8ff,stroke:#0366d6\n");
        out.append("  classDef host fill:#fffbdd,stroke:#b08800\n");
        out.append("  classDef outside fill:#f6f8fa,stroke:#6a737d\n");
        classes(g, out);
        return out.toString();
    }

    /** A {@code digraph}; marked edges coloured and thicker, lost ones dashed. */
    public static String dot(ReachabilityGraph g) {
        StringBuilder out = new StringBuilder("digraph qfence {\n  rankdir=LR;\n  node [fontname=\"sans-serif\"];\n");
        for (GraphNode n : g.nodes()) {
            String shape = switch (n.kind()) {
                case GROUP -> "box";
                case HOST -> "box3d";
                case INTERNET, PREFIX, OUTSIDE -> "ellipse";
            };
            out.append("  ").append(n.id()).append(" [label=").append(dotText(n.label())).append(", shape=").append(shape).append("];\n");
        }
        for (GraphEdge e : g.edges()) {
            out.append("  ").append(e.from()).append(" -> ").append(e.to()).append(" [label=").append(dotText(prefix(e.mark()) + e.label()));
            out.append(switch (e.mark()) {
                case BROKEN -> ", color=\"#d73a49\", penwidth=3";
                case GAINED -> ", color=\"#e36209\", penwidth=2";
                case LOST -> ", color=\"#959da5\", style=dashed";
                case NONE -> "";
            }).append("];\n");
        }
        note(g).ifPresent(n -> out.append("  label=").append(dotText(n)).append(";\n"));
        return out.append("}\n").toString();
    }

    /** Said beneath a capped picture: how much it leaves out. */
    public static java.util.Optional<String> note(ReachabilityGraph g) {
        if (!g.capped()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("graph capped at " + ReachabilityGraph.MAX_EDGES + " edges and " + ReachabilityGraph.MAX_NODES
                + " nodes: " + g.omittedEdges() + " edge" + (g.omittedEdges() == 1 ? "" : "s") + " and " + g.omittedNodes() + " node"
                + (g.omittedNodes() == 1 ? "" : "s") + " not shown (marked edges are kept first)");
    }

    /** The Markdown block: a fenced {@code mermaid} picture, and the cap's note beneath it. */
    public static String markdownBlock(ReachabilityGraph g) {
        return "\n```mermaid\n" + mermaid(g) + "```\n" + note(g).map(n -> "\n*" + n + "*\n").orElse("");
    }

    private static void classes(ReachabilityGraph g, StringBuilder out) {
        for (String kind : List.of("group", "host", "outside")) {
            List<String> ids = g.nodes().stream().filter(n -> switch (n.kind()) {
                case GROUP -> kind.equals("group");
                case HOST -> kind.equals("host");
                case INTERNET, PREFIX, OUTSIDE -> kind.equals("outside");
            }).map(GraphNode::id).toList();
            if (!ids.isEmpty()) {
                out.append("  class ").append(String.join(",", ids)).append(' ').append(kind).append('\n');
            }
        }
    }

    private static String prefix(EdgeMark mark) {
        return switch (mark) {
            case BROKEN -> "! ";
            case GAINED -> "+ ";
            case LOST -> "- ";
            case NONE -> "";
        };
    }

    /** Mermaid labels are quoted; quotes and the characters Markdown or Mermaid would read become entity codes. */
    private static String mermaidText(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("#quot;");
                case '<' -> out.append("#lt;");
                case '>' -> out.append("#gt;");
                case '`' -> out.append("#96;");
                case '|' -> out.append("#124;");
                default -> out.append(c < 0x20 ? ' ' : c);
            }
        }
        return out.toString();
    }

    private static String dotText(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\');
            }
            out.append(c < 0x20 ? ' ' : c);
        }
        return out.append('"').toString();
    }
}
