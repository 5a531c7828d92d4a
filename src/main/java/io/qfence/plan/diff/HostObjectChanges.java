package io.qfence.plan.diff;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import io.qfence.plan.Planner;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code qfence diff} over a fleet: what each host's own qfence would change to go from the old revision's
 * realization to the new one's, as a plan of one against the other (pure; both with the same host facts). The flows
 * are one policy for the whole fleet ({@link IsolationDiff}); the objects are per host, because each host applies its
 * own. A host that only one revision has is planned against nothing (it joins) or to nothing (it leaves).
 *
 * @param host the host's name
 * @param plan the old realization's objects taken as observed, the new one's as desired
 */
public record HostObjectChanges(String host, Plan plan) {

    public HostObjectChanges {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(plan, "plan");
    }

    /** Every host of either revision, the new revision's order first. Absent means the revision does not have it. */
    public static List<HostObjectChanges> of(Map<String, List<HostObject>> before, Map<String, List<HostObject>> after) {
        Set<String> hosts = new LinkedHashSet<>(after.keySet());
        hosts.addAll(before.keySet());
        List<HostObjectChanges> out = new ArrayList<>();
        for (String h : hosts) {
            ObservedHost old = new ObservedHost(h, HostFacts.TYPICAL, before.getOrDefault(h, List.of()), List.of(), List.of(), List.of());
            out.add(new HostObjectChanges(h, Planner.plan(after.getOrDefault(h, List.of()), old)));
        }
        return out;
    }

    private String line() {
        return plan.isEmpty() ? "No changes." : plan.summary().line();
    }

    /**
     * One line per changed address: the firewall is planned as several changes under one address (a step per table),
     * which a per-host overview shows once.
     */
    private static List<String> lines(HostObjectChanges h) {
        return h.plan().changesByAddress().stream().map(c -> c.action().symbol() + " " + c.address()).distinct().toList();
    }

    /** The text section: one line per host and one per changed object, by address. */
    public static String text(List<HostObjectChanges> hosts) {
        StringBuilder out = new StringBuilder("\nObjects per host (what each host's qfence would change):\n");
        int width = hosts.stream().mapToInt(h -> h.host().length()).max().orElse(0);
        for (HostObjectChanges h : hosts) {
            out.append("  ").append(String.format("%-" + width + "s", h.host())).append("  ").append(h.line()).append('\n');
            lines(h).forEach(l -> out.append("      ").append(l).append('\n'));
        }
        return out.toString();
    }

    /** {@code [{host, summary, changes: [{address, actions}]}]}. */
    public static void json(ArrayNode array, List<HostObjectChanges> hosts) {
        for (HostObjectChanges h : hosts) {
            ObjectNode n = array.addObject();
            n.put("host", h.host());
            ObjectNode s = n.putObject("summary");
            s.put("add", h.plan().summary().add());
            s.put("change", h.plan().summary().change());
            s.put("destroy", h.plan().summary().destroy());
            s.put("start", h.plan().summary().start());
            s.put("stop", h.plan().summary().stop());
            ArrayNode changes = n.putArray("changes");
            for (Change c : h.plan().changesByAddress()) {
                ObjectNode cn = changes.addObject();
                cn.put("address", c.address());
                ArrayNode actions = cn.putArray("actions");
                c.actionNames().forEach(actions::add);
            }
        }
    }

    /** A collapsed table: a row per host, its changed addresses in the last cell. */
    public static String markdown(List<HostObjectChanges> hosts) {
        StringBuilder out = new StringBuilder("\n<details><summary>Objects per host (what each host's qfence would change)</summary>\n\n")
                .append("| host | add | change | destroy | start | stop | objects |\n|---|--:|--:|--:|--:|--:|---|\n");
        for (HostObjectChanges h : hosts) {
            var s = h.plan().summary();
            List<String> objects = lines(h).stream().map(l -> "`" + l.replace("|", "\\|") + "`").toList();
            out.append("| `").append(h.host()).append("` | ").append(s.add()).append(" | ").append(s.change()).append(" | ").append(s.destroy())
                    .append(" | ").append(s.start()).append(" | ").append(s.stop()).append(" | ")
                    .append(objects.size() > 20 ? String.join("<br>", objects.subList(0, 20)) + "<br>… and " + (objects.size() - 20) + " more"
                            : String.join("<br>", objects))
                    .append(" |\n");
        }
        return out.append("\n</details>\n").toString();
    }
}
