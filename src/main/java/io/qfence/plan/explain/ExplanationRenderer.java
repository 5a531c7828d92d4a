package io.qfence.plan.explain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.plan.explain.Explanation.ExplainVerdict;
import io.qfence.plan.explain.Explanation.Grounds;
import io.qfence.plan.explain.Explanation.LiveRule;
import io.qfence.plan.explain.InvariantCoverage.InvariantNote;
import io.qfence.plan.render.NftText;
import io.qfence.realize.FirewallRules.RuleAt;
import java.util.Optional;

/** {@code qfence explain}'s text and JSON; the JSON object is also what {@code verify --format json} carries per cell. */
public final class ExplanationRenderer {

    /** Of {@code explain --format json}; raised when a field changes meaning or goes away. */
    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ExplanationRenderer() {}

    public static String text(Explanation e) {
        StringBuilder out = new StringBuilder();
        out.append(e.query()).append(": ").append(e.verdict().label().toUpperCase(java.util.Locale.ROOT)).append('\n');
        e.note().ifPresent(n -> out.append("  ").append(n).append('\n'));
        if (!e.grounds().isEmpty()) {
            out.append(e.verdict() == ExplainVerdict.NOT_FILTERED ? "Written in the desired state:\n" : "Allowed by:\n");
            e.grounds().forEach(g -> grounds(out, g));
        }
        if (!e.defaults().isEmpty()) {
            out.append(e.verdict() == ExplainVerdict.DENIED ? "Denied because:\n" : "Everything else is denied because:\n");
            e.defaults().forEach(g -> grounds(out, g));
        }
        if (!e.rules().isEmpty()) {
            out.append("Realized as:\n");
            for (RuleAt r : e.rules()) {
                out.append("  ").append(where(r)).append(": ").append(NftText.rule(r.rule())).append('\n');
            }
        }
        if (!e.invariants().isEmpty()) {
            out.append("Invariants:\n");
            for (InvariantNote i : e.invariants()) {
                out.append("  ").append(i.holds() ? "holds  " : "BROKEN ").append(i.name()).append(" (").append(i.origin()).append("): ")
                        .append(i.statement()).append('\n');
            }
        }
        e.live().ifPresent(live -> {
            out.append("On the live host:\n");
            if (live.isEmpty()) {
                out.append("  no rule to look for\n");
            }
            for (LiveRule l : live) {
                out.append("  ").append(where(l.rule())).append(": ").append(l.present() ? "present" : "MISSING");
                l.counter().ifPresent(c -> out.append(", counter ").append(c.counter()).append(": ").append(c.packets()).append(" packets, ")
                        .append(c.bytes()).append(" bytes"));
                if (l.rule().counter().isPresent() && l.counter().isEmpty()) {
                    out.append(", counter ").append(l.rule().counter().get()).append(" not found");
                }
                if (l.rule().counter().isEmpty()) {
                    out.append(" (accept rules carry no counter)");
                }
                out.append('\n');
            }
            if (live.stream().anyMatch(l -> !l.present())) {
                // The answer above is the desired state's; without one of its rules the host's packets may be judged otherwise.
                out.append("  a rule of this answer is missing: the live host may answer otherwise (qfence plan shows the drift)\n");
            }
        });
        return out.toString();
    }

    public static String json(Explanation e) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format_version", FORMAT_VERSION);
        root.setAll(node(e));
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
            throw new IllegalStateException("an explanation always serializes", x);
        }
    }

    /** The explanation as one JSON object (without a format version: it is embedded in verify's cells too). */
    public static ObjectNode node(Explanation e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("source", e.query().source().toString());
        o.put("destination", e.query().destination().toString());
        o.put("service", e.query().service());
        o.put("verdict", e.verdict().name().toLowerCase(java.util.Locale.ROOT));
        e.note().ifPresent(n -> o.put("note", n));
        ArrayNode grounds = o.putArray("allowed_by");
        e.grounds().forEach(g -> grounds.add(grounds(g)));
        ArrayNode defaults = o.putArray("denied_because");
        e.defaults().forEach(g -> defaults.add(grounds(g)));
        ArrayNode rules = o.putArray("rules");
        for (RuleAt r : e.rules()) {
            ObjectNode n = rules.addObject();
            n.put("table", r.table());
            n.put("chain", r.chain());
            n.put("index", r.index());
            n.put("rule", NftText.rule(r.rule()));
            r.counter().ifPresent(c -> n.put("counter", c));
        }
        if (!e.invariants().isEmpty()) {
            ArrayNode inv = o.putArray("invariants");
            for (InvariantNote i : e.invariants()) {
                inv.addObject().put("name", i.name()).put("origin", i.origin()).put("statement", i.statement()).put("holds", i.holds());
            }
        }
        e.live().ifPresent(live -> {
            o.put("live_differs", live.stream().anyMatch(r -> !r.present()));
            ArrayNode l = o.putArray("live");
            for (LiveRule r : live) {
                ObjectNode n = l.addObject().put("table", r.rule().table()).put("chain", r.rule().chain()).put("index", r.rule().index())
                        .put("present", r.present());
                r.counter().ifPresent(c -> n.putObject("counter").put("name", c.counter()).put("packets", c.packets()).put("bytes", c.bytes()));
            }
        });
        return o;
    }

    private static void grounds(StringBuilder out, Grounds g) {
        out.append("  ").append(g.what()).append(g.origin().map(o -> " (" + o + ")").orElse("")).append('\n');
        g.reason().ifPresent(r -> out.append("    reason: ").append(r).append('\n'));
        g.flow().ifPresent(f -> out.append("    flow: ").append(f).append('\n'));
    }

    private static ObjectNode grounds(Grounds g) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("what", g.what());
        put(n, "origin", g.origin());
        put(n, "reason", g.reason());
        put(n, "flow", g.flow());
        return n;
    }

    private static void put(ObjectNode n, String key, Optional<String> value) {
        value.ifPresent(v -> n.put(key, v));
    }

    /** {@code inet qfence chain from_web rule 3}. */
    private static String where(RuleAt r) {
        return r.table() + " chain " + r.chain() + " rule " + r.index();
    }
}
