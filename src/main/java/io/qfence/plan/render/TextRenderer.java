package io.qfence.plan.render;

import io.qfence.plan.Action;
import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A plan for people, in the style of {@code terraform plan}: a legend of the symbols used, the changes that undo
 * drift apart from the changes the desired state makes (both in execution order), attribute-level before and after,
 * and a summary line.
 */
public final class TextRenderer implements PlanRenderer {

    @Override
    public String render(Plan plan, RenderOptions options) {
        Ansi ansi = new Ansi(options.colour());
        StringBuilder out = new StringBuilder();
        if (plan.isEmpty()) {
            out.append(ansi.style(Ansi.BOLD, "No changes.")).append(" The host matches the desired state.\n");
        } else {
            legend(plan, ansi, out);
            List<Change> drift = plan.drift();
            if (!drift.isEmpty()) {
                out.append('\n').append(ansi.style(Ansi.BOLD, "Objects changed outside qfence")).append(" (drift); these changes undo them:\n");
                drift.forEach(c -> block(c, ansi, out));
            }
            List<Change> desired = plan.desiredChanges();
            if (!desired.isEmpty()) {
                out.append('\n').append("qfence will perform the following actions:\n");
                desired.forEach(c -> block(c, ansi, out));
            }
            out.append('\n').append(ansi.style(Ansi.BOLD, plan.summary().line())).append('\n');
        }
        for (String w : plan.warnings()) {
            out.append('\n').append(ansi.style(Ansi.BOLD + Ansi.YELLOW, "Warning:")).append(' ').append(w).append('\n');
        }
        for (String e : plan.errors()) {
            out.append('\n').append(ansi.style(Ansi.BOLD + Ansi.RED, "Error:")).append(' ').append(e).append('\n');
        }
        if (!plan.errors().isEmpty()) {
            out.append('\n').append("This plan cannot be applied.\n");
        }
        return out.toString();
    }

    private static void legend(Plan plan, Ansi ansi, StringBuilder out) {
        Set<Action> used = EnumSet.noneOf(Action.class);
        plan.changes().forEach(c -> used.add(c.action()));
        out.append("Actions are shown with these symbols:\n");
        for (Action a : List.of(Action.CREATE, Action.UPDATE, Action.DELETE, Action.REPLACE_DELETE_BEFORE_CREATE,
                Action.REPLACE_CREATE_BEFORE_DELETE, Action.START, Action.STOP)) {
            if (used.contains(a)) {
                out.append(ansi.symbol(pad(a.symbol()))).append(' ').append(legendText(a)).append('\n');
            }
        }
    }

    static String legendText(Action a) {
        return switch (a) {
            case CREATE -> "create";
            case UPDATE -> "update in place";
            case DELETE -> "destroy";
            case REPLACE_DELETE_BEFORE_CREATE -> "destroy and then create replacement (a guest: stop, then start)";
            case REPLACE_CREATE_BEFORE_DELETE -> "create replacement and then destroy";
            case START -> "start";
            case STOP -> "stop";
        };
    }

    private static String pad(String symbol) {
        return " ".repeat(Math.max(0, 3 - symbol.length())) + symbol;
    }

    private static void block(Change c, Ansi ansi, StringBuilder out) {
        out.append('\n');
        for (ChangeBlock.Line l : ChangeBlock.of(c)) {
            switch (l.kind()) {
                case COMMENT -> out.append("  ").append(l.text().startsWith("# " + c.address())
                        ? "# " + ansi.style(Ansi.BOLD, c.address()) + l.text().substring(2 + c.address().length()) : l.text());
                case OPEN -> out.append(ansi.symbol(pad(l.symbol()))).append(' ').append(l.text());
                case ATTRIBUTE -> out.append("    ").append(ansi.symbol(pad(l.symbol()))).append(' ').append(l.text());
                case HIDDEN -> out.append("        ").append(l.text());
                case CLOSE -> out.append("    ").append(l.text());
            }
            out.append('\n');
        }
    }
}
