package io.qfence.plan.render;

import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import io.qfence.plan.Summary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plan in a few lines, for people who want the shape of it rather than every set element (the demo's full plan was
 * about 580 lines): one row per group (and one for the host's firewall and settings), the counts per action, a total,
 * and the summary line. The same grouping as the Markdown renderer's table.
 */
public final class SummaryTable {

    private SummaryTable() {}

    public static String text(Plan plan) {
        if (plan.isEmpty()) {
            return "No changes.\n";
        }
        Map<String, List<Change>> groups = new TreeMap<>();
        plan.changes().forEach(c -> groups.computeIfAbsent(MarkdownRenderer.groupOf(c), g -> new ArrayList<>()).add(c));
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"", "ADD", "CHANGE", "DESTROY", "START", "STOP"});
        groups.forEach((g, changes) -> rows.add(row(g, Summary.of(changes))));
        rows.add(row("total", plan.summary()));
        int[] widths = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder("  ").append(r[0]).append(" ".repeat(widths[0] - r[0].length()));
            for (int i = 1; i < r.length; i++) {
                line.append("  ").append(" ".repeat(widths[i] - r[i].length())).append(r[i]);
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        out.append('\n').append(plan.summary().line()).append('\n');
        plan.errors().forEach(e -> out.append("Error: ").append(e).append('\n'));
        return out.toString();
    }

    private static String[] row(String label, Summary s) {
        return new String[] {label, Integer.toString(s.add()), Integer.toString(s.change()), Integer.toString(s.destroy()),
            Integer.toString(s.start()), Integer.toString(s.stop())};
    }
}
