package io.qfence.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.host.HostObject;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * The JSON model of a plan, documented by {@code schemas/plan.schema.json}: versioned by {@code format_version},
 * {@code resource_changes} sorted by address, each with its {@code step} in execution order, its actions as an
 * array (a replacement is {@code ["delete","create"]}), {@code before} and {@code after} as attribute maps, and
 * its reason. The JSON renderer prints it; a saved plan ({@link PlanCodec}) adds the full objects.
 */
public final class PlanJson {

    public static final String FORMAT_VERSION = "1.0";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private PlanJson() {}

    /** @param withObjects also write {@code before_object}/{@code after_object}, the full objects an apply needs */
    public static ObjectNode toTree(Plan plan, boolean withObjects) {
        ObjectNode root = NODES.objectNode();
        root.put("format_version", FORMAT_VERSION);
        root.put("host", plan.host());
        root.put("observed_digest", plan.observedDigest());
        root.put("desired_digest", plan.desiredDigest());
        root.put("applicable", plan.isApplicable());
        Summary s = plan.summary();
        ObjectNode summary = root.putObject("summary");
        summary.put("add", s.add());
        summary.put("change", s.change());
        summary.put("destroy", s.destroy());
        summary.put("start", s.start());
        summary.put("stop", s.stop());
        ArrayNode changes = root.putArray("resource_changes");
        Map<Change, Integer> steps = new IdentityHashMap<>();
        for (int i = 0; i < plan.changes().size(); i++) {
            steps.put(plan.changes().get(i), i);
        }
        for (Change c : plan.changesByAddress()) {
            changes.add(change(c, steps.get(c), withObjects));
        }
        ArrayNode warnings = root.putArray("warnings");
        plan.warnings().forEach(warnings::add);
        ArrayNode errors = root.putArray("errors");
        plan.errors().forEach(errors::add);
        return root;
    }

    public static String toJson(Plan plan, boolean withObjects) {
        try {
            return ObjectJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toTree(plan, withObjects)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("plans must always serialize", e);
        }
    }

    private static ObjectNode change(Change c, int step, boolean withObjects) {
        ObjectNode n = NODES.objectNode();
        n.put("address", c.address());
        n.put("type", c.kind().jsonName());
        n.put("step", step);
        n.put("drift", c.drift());
        n.set("reason", reason(c.reason()));
        ObjectNode change = n.putObject("change");
        ArrayNode actions = change.putArray("actions");
        c.actionNames().forEach(actions::add);
        change.set("before", c.before().<JsonNode>map(o -> attributes(o.attributes())).orElse(NODES.nullNode()));
        change.set("after", c.after().<JsonNode>map(o -> attributes(o.attributes())).orElse(NODES.nullNode()));
        ArrayNode forces = change.putArray("replace_paths");
        c.forcesReplacement().forEach(forces::add);
        if (withObjects) {
            change.set("before_object", c.before().map(PlanJson::object).orElse(NODES.nullNode()));
            change.set("after_object", c.after().map(PlanJson::object).orElse(NODES.nullNode()));
        }
        return n;
    }

    private static JsonNode object(HostObject o) {
        return SnapshotCodec.objectToTree(o);
    }

    private static ObjectNode attributes(SortedMap<String, String> attributes) {
        ObjectNode a = NODES.objectNode();
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            a.put(e.getKey(), e.getValue());
        }
        return a;
    }

    static ObjectNode reason(Reason r) {
        ObjectNode n = NODES.objectNode();
        n.put("code", r.code());
        n.put("text", r.text());
        if (r instanceof Reason.Drifted d) {
            n.put("detail", d.detail());
        } else if (r instanceof Reason.InterruptedStart i) {
            n.put("detail", i.detail());
        } else if (r instanceof Reason.RequiresRestart rr) {
            ArrayNode fields = n.putArray("fields");
            rr.fields().forEach(fields::add);
        } else if (r instanceof Reason.Cascade c) {
            n.put("cause", c.cause());
        }
        return n;
    }

    static Reason reasonFrom(JsonNode n) {
        String code = n.path("code").asText();
        return switch (code) {
            case "new" -> Reason.NEW;
            case "removed" -> Reason.REMOVED;
            case "changed" -> Reason.DESIRED_CHANGE;
            case "differs" -> Reason.DIFFERS;
            case "narrowing_first" -> Reason.NARROWING_FIRST;
            case "interrupted" -> Reason.INTERRUPTED;
            case "drift" -> new Reason.Drifted(required(n, "detail").asText());
            case "interrupted_start" -> new Reason.InterruptedStart(required(n, "detail").asText());
            case "cascade" -> new Reason.Cascade(required(n, "cause").asText());
            case "requires_restart" -> {
                java.util.List<String> fields = new java.util.ArrayList<>();
                required(n, "fields").forEach(f -> fields.add(f.asText()));
                yield new Reason.RequiresRestart(fields);
            }
            default -> throw new IllegalArgumentException("unknown reason code '" + code + "'");
        };
    }

    static JsonNode required(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing '" + field + "' in " + n);
        }
        return v;
    }
}
