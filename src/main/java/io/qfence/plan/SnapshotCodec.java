package io.qfence.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.host.CounterSample;
import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import java.util.List;
import java.util.Objects;

/**
 * The JSON form of an observed host: what {@code qfence state} prints and what {@code plan --observed} reads. Every
 * object carries its {@code kind} ({@code sysctl}, {@code link}, {@code firewall}, {@code cgroup}, {@code guest});
 * the document carries a {@code format_version}, and a reader refuses a major version it does not know.
 *
 * <p>{@code fromJson(toJson(x)).equals(x)} for every observed host. The same encoding stores a list of objects (e.g.
 * the realization last applied) with {@link #objectsToJson}.
 */
public final class SnapshotCodec {

    public static final String FORMAT_VERSION = "1.0";

    /** The document: the observed host with a version. */
    private record Snapshot(String formatVersion, String host, HostFacts facts, List<HostObject> objects, List<ForeignObject> foreign,
            List<CounterSample> counters, List<String> namespaces) {}

    private record ObjectList(String formatVersion, List<HostObject> objects) {}

    private SnapshotCodec() {}

    public static String toJson(ObservedHost host) {
        Objects.requireNonNull(host, "host");
        return write(new Snapshot(FORMAT_VERSION, host.host(), host.facts(), host.objects(), host.foreign(), host.counters(), host.namespaces()));
    }

    /** @throws IllegalArgumentException naming what is wrong and where, when the text is not a snapshot this qfence reads */
    public static ObservedHost fromJson(String json) {
        Snapshot s = read(json, Snapshot.class, "snapshot");
        return new ObservedHost(s.host(), s.facts(), s.objects(), s.foreign(), s.counters(), s.namespaces());
    }

    public static String objectsToJson(List<? extends HostObject> objects) {
        return write(new ObjectList(FORMAT_VERSION, List.copyOf(objects)));
    }

    public static List<HostObject> objectsFromJson(String json) {
        return read(json, ObjectList.class, "object list").objects();
    }

    /** One object in canonical JSON, with its {@code kind}, e.g. for a saved plan. */
    static JsonNode objectToTree(HostObject o) {
        return ObjectJson.MAPPER.valueToTree(o);
    }

    static HostObject objectFromTree(JsonNode node) {
        try {
            JsonNode copy = node.deepCopy();
            fillGuestRuntimeDefaults(copy);
            return ObjectJson.MAPPER.treeToValue(copy, HostObject.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid host object: " + e.getOriginalMessage(), e);
        }
    }

    private static String write(Object document) {
        try {
            return ObjectJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(document) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("snapshots must always serialize", e);
        }
    }

    static void checkVersion(JsonNode root, String what) {
        JsonNode v = root.get("format_version");
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("not a qfence " + what + ": no format_version");
        }
        String major = FORMAT_VERSION.substring(0, FORMAT_VERSION.indexOf('.'));
        if (!v.asText().startsWith(major + ".")) {
            throw new IllegalArgumentException("unsupported " + what + " format_version " + v.asText() + " (this qfence reads " + major + ".x)");
        }
    }

    /**
     * Format 1.0 files written before guests carried {@code runtime.unrecorded} (the realization last applied, saved
     * plans and snapshots of qfence up to 2026-12; guest records have a format of their own) lack that field, and reading is
     * strict. A guest that such a qfence wrote was, by construction, recorded: the field is filled in as
     * {@code false}, so an upgrade with guests running keeps every record readable. Likewise {@code runtime.oom_kills}
     * (added later in 2026-12) is filled in as {@code null}: that qfence did not observe it; so is
     * {@code runtime.confinement}, which is written only where a live observation read it. True when something was
     * filled in.
     */
    static boolean fillGuestRuntimeDefaults(JsonNode node) {
        boolean filled = false;
        if (node.isObject() && "guest".equals(node.path("kind").asText(null)) && node.get("runtime") instanceof ObjectNode runtime) {
            if (!runtime.has("unrecorded")) {
                runtime.put("unrecorded", false);
                filled = true;
            }
            if (!runtime.has("oom_kills")) {
                runtime.putNull("oom_kills");
                filled = true;
            }
            if (!runtime.has("confinement")) {
                runtime.putNull("confinement"); // written only where observation read it (ObjectJson)
                filled = true;
            }
        }
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                filled |= fillGuestRuntimeDefaults(child);
            }
        }
        return filled;
    }

    private static <T> T read(String json, Class<T> type, String what) {
        Objects.requireNonNull(json, "json");
        try {
            JsonNode root = ObjectJson.MAPPER.readTree(json);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("not a qfence " + what + ": expected a JSON object");
            }
            checkVersion(root, what);
            if (fillGuestRuntimeDefaults(root)) {
                return ObjectJson.MAPPER.treeToValue(root, type);
            }
            return ObjectJson.MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid " + what + ": " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() : ""), e);
        }
    }
}
