package io.qfence.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.errors.StalePlanException;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Saved plans ({@code qfence plan --out plan.json}) and reading them back ({@code apply --plan plan.json}).
 *
 * <p>A saved plan is the JSON plan (see {@link PlanJson}) plus the full objects of every change, so that an apply
 * executes exactly what was reviewed. It records the digest of the observed state it was made from; {@link
 * #requireFresh} refuses it when the host has changed since.
 */
public final class PlanCodec {

    private PlanCodec() {}

    public static String toJson(Plan plan) {
        return PlanJson.toJson(plan, true);
    }

    /** @throws IllegalArgumentException when the text is not a complete saved plan of a format this qfence reads */
    public static Plan fromJson(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = ObjectJson.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid saved plan: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() : ""), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a qfence plan: expected a JSON object");
        }
        SnapshotCodec.checkVersion(root, "plan");
        JsonNode changes = PlanJson.required(root, "resource_changes");
        TreeMap<Integer, Change> byStep = new TreeMap<>();
        for (JsonNode n : changes) {
            int step = PlanJson.required(n, "step").asInt();
            if (byStep.put(step, change(n)) != null) {
                throw new IllegalArgumentException("two changes at step " + step);
            }
        }
        if (!byStep.isEmpty() && (byStep.firstKey() != 0 || byStep.lastKey() != byStep.size() - 1)) {
            throw new IllegalArgumentException("the steps of a saved plan must be 0.." + (byStep.size() - 1));
        }
        return new Plan(PlanJson.required(root, "host").asText(), new ArrayList<>(byStep.values()), strings(root.path("warnings")),
                strings(root.path("errors")), PlanJson.required(root, "observed_digest").asText(),
                PlanJson.required(root, "desired_digest").asText());
    }

    /**
     * Refuses a plan made from another observed state than {@code now}.
     *
     * @throws StalePlanException when the digests differ
     */
    public static void requireFresh(Plan saved, ObservedHost now) {
        String current = Digests.of(now.objects());
        if (!saved.observedDigest().equals(current)) {
            throw new StalePlanException(saved.observedDigest(), current);
        }
    }

    private static Change change(JsonNode n) {
        String address = PlanJson.required(n, "address").asText();
        ObjectKind kind = ObjectKind.ofJsonName(PlanJson.required(n, "type").asText());
        JsonNode change = PlanJson.required(n, "change");
        List<String> actionNames = strings(PlanJson.required(change, "actions"));
        Action action = Action.fromJsonNames(actionNames, kind);
        Optional<HostObject> before = object(change.get("before_object"), address);
        Optional<HostObject> after = object(change.get("after_object"), address);
        return new Change(address, action, before, after, PlanJson.reasonFrom(PlanJson.required(n, "reason")),
                PlanJson.required(n, "drift").asBoolean(), new TreeSet<>(strings(change.path("replace_paths"))));
    }

    private static Optional<HostObject> object(JsonNode node, String address) {
        if (node == null) {
            throw new IllegalArgumentException(address + ": a saved plan carries before_object and after_object; this is a display plan");
        }
        return node.isNull() ? Optional.empty() : Optional.of(SnapshotCodec.objectFromTree(node));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(s -> out.add(s.asText()));
        return out;
    }
}
