package io.qfence.platform.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.host.CloudInitSeed;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.Overlay;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The on-disk format of a {@link GuestRegistry} record, owned by the registry and versioned by its {@code format}
 * number, so that the plan's snapshot format ({@code plan.SnapshotCodec}) can change without touching records of
 * guests that are running across an upgrade.
 *
 * <p>Format 3 (written): format 2 with two more launch fields, {@code overlay} ({@code {"path", "base",
 * "base_format"}} or null) and {@code seed} ({@code {"path", "instance_id", "meta_data", "network_config",
 * "user_data", "parts"}} or null), DESIGN.md §17; and {@code base_identity} in the envelope: the base image's
 * {@code dev:ino size mtime_ns} at start, or null.
 *
 * <p>Format 2 (read only): {@code {"format": 2, "vm", "pid", "start_time", "started_at", "guest": {...}}}, the guest
 * as started with its fields spelled out here (snake_case, the state in lower case, the stop timeout as ISO-8601);
 * a recorded guest has no runtime facts, so none are stored.
 *
 * <p>Format 1 (read only, written by qfence up to 2026-12): the same envelope, with the guest wrapped as the plan's
 * object list of that time ({@code {"format_version": "1.x", "objects": [{"kind": "guest", ..., "runtime": {...}}]}}).
 * Its guest fields are spelled as in format 2; its {@code runtime} (always empty, sometimes without
 * {@code unrecorded}) is accepted and dropped. Reading is strict in both formats: a missing or unknown field is an
 * error, because a record qfence misreads could lose track of a running guest.
 */
final class GuestRecordFormat {

    static final int CURRENT = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ENVELOPE_2 = Set.of("format", "vm", "pid", "start_time", "started_at", "guest");
    private static final Set<String> ENVELOPE = Set.of("format", "vm", "pid", "start_time", "started_at", "guest", "base_identity");
    private static final Set<String> GUEST = Set.of("address", "vm", "group", "uid", "gid", "argv", "config_digest", "config",
            "state", "launch");
    private static final Set<String> LAUNCH_2 = Set.of("run_dir", "qmp_socket", "serial_socket", "serial_log", "pid_file", "images",
            "cgroup_path", "tap", "stop_timeout");
    private static final Set<String> LAUNCH = Set.of("run_dir", "qmp_socket", "serial_socket", "serial_log", "pid_file", "images",
            "cgroup_path", "tap", "stop_timeout", "overlay", "seed");
    private static final Set<String> OVERLAY = Set.of("path", "base", "base_format");
    private static final Set<String> SEED = Set.of("path", "instance_id", "meta_data", "network_config", "user_data", "parts");

    private GuestRecordFormat() {}

    /** {@code value} under {@code field}, or an explicit null: every field of the record is written, present or not. */
    private static void putOrNull(ObjectNode node, String field, Optional<String> value) {
        if (value.isPresent()) {
            node.put(field, value.get());
        } else {
            node.putNull(field);
        }
    }

    static byte[] write(GuestRegistry.Entry entry) {
        Guest guest = entry.guest();
        ObjectNode root = JSON.createObjectNode();
        root.put("format", CURRENT);
        root.put("vm", entry.vm());
        root.put("pid", entry.pid());
        root.put("start_time", entry.startTime());
        root.put("started_at", entry.startedAt().toString());
        putOrNull(root, "base_identity", entry.baseIdentity());
        ObjectNode g = root.putObject("guest");
        g.put("address", guest.address());
        g.put("vm", guest.vm());
        g.put("group", guest.group());
        g.put("uid", guest.uid());
        g.put("gid", guest.gid());
        ArrayNode argv = g.putArray("argv");
        guest.argv().forEach(argv::add);
        g.put("config_digest", guest.configDigest());
        ObjectNode config = g.putObject("config");
        guest.config().forEach(config::put);
        g.put("state", guest.state().name().toLowerCase(Locale.ROOT));
        GuestLaunch launch = guest.launch();
        ObjectNode l = g.putObject("launch");
        l.put("run_dir", launch.runDir());
        l.put("qmp_socket", launch.qmpSocket());
        l.put("serial_socket", launch.serialSocket());
        l.put("serial_log", launch.serialLog());
        l.put("pid_file", launch.pidFile());
        ArrayNode images = l.putArray("images");
        launch.images().forEach(images::add);
        l.put("cgroup_path", launch.cgroupPath());
        putOrNull(l, "tap", launch.tap());
        l.put("stop_timeout", launch.stopTimeout().toString());
        if (launch.overlay().isPresent()) {
            Overlay o = launch.overlay().get();
            ObjectNode on = l.putObject("overlay");
            on.put("path", o.path());
            on.put("base", o.base());
            on.put("base_format", o.baseFormat());
        } else {
            l.putNull("overlay");
        }
        if (launch.seed().isPresent()) {
            CloudInitSeed seed = launch.seed().get();
            ObjectNode sn = l.putObject("seed");
            sn.put("path", seed.path());
            sn.put("instance_id", seed.instanceId());
            sn.put("meta_data", seed.metaData());
            sn.put("network_config", seed.networkConfig());
            sn.put("user_data", seed.userData());
            ObjectNode parts = sn.putObject("parts");
            seed.parts().forEach(parts::put);
        } else {
            l.putNull("seed");
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a guest record must always serialize", e);
        }
    }

    /** @throws IllegalArgumentException saying what is wrong, when the text is not a record of a format this qfence reads */
    static GuestRegistry.Entry read(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("unknown format (empty)");
        }
        JsonNode format = root.path("format");
        int number = format.isInt() ? format.asInt() : -1;
        JsonNode guest = switch (number) {
            case CURRENT, 2 -> field(root, "guest");
            case 1 -> formatOneGuest(field(root, "guest"));
            default -> throw new IllegalArgumentException("unknown format " + format);
        };
        boolean current = number == CURRENT;
        exactly(root, current ? ENVELOPE : ENVELOPE_2, "record");
        Guest g = guest(guest, current);
        java.util.Optional<String> baseIdentity = current && !field(root, "base_identity").isNull()
                ? java.util.Optional.of(text(root, "base_identity")) : java.util.Optional.empty();
        String vm = text(root, "vm");
        if (!vm.equals(g.vm())) {
            throw new IllegalArgumentException("record of " + vm + " holds guest " + g.vm());
        }
        return new GuestRegistry.Entry(g, number(root, "pid"), number(root, "start_time"),
                Instant.parse(text(root, "started_at")), baseIdentity);
    }

    /** Format 1 wrapped the guest in the plan's object list of that time. */
    private static JsonNode formatOneGuest(JsonNode list) {
        exactly(list, Set.of("format_version", "objects"), "guest");
        if (!text(list, "format_version").startsWith("1.")) {
            throw new IllegalArgumentException("unsupported object list format_version " + list.get("format_version").asText());
        }
        JsonNode objects = field(list, "objects");
        if (!objects.isArray() || objects.size() != 1 || !"guest".equals(objects.get(0).path("kind").asText(null))) {
            throw new IllegalArgumentException("does not hold exactly one guest");
        }
        ObjectNode guest = objects.get(0).deepCopy();
        guest.remove("kind");
        guest.remove("runtime"); // a recorded guest's runtime was always empty
        return guest;
    }

    private static Guest guest(JsonNode g, boolean current) {
        exactly(g, GUEST, "guest");
        JsonNode l = field(g, "launch");
        exactly(l, current ? LAUNCH : LAUNCH_2, "launch");
        JsonNode tap = field(l, "tap");
        Optional<Overlay> overlay = Optional.empty();
        Optional<CloudInitSeed> seed = Optional.empty();
        if (current && !field(l, "overlay").isNull()) {
            JsonNode o = field(l, "overlay");
            exactly(o, OVERLAY, "launch.overlay");
            overlay = Optional.of(new Overlay(text(o, "path"), text(o, "base"), text(o, "base_format")));
        }
        if (current && !field(l, "seed").isNull()) {
            JsonNode sn = field(l, "seed");
            exactly(sn, SEED, "launch.seed");
            SortedMap<String, String> parts = new TreeMap<>();
            JsonNode p = field(sn, "parts");
            if (!p.isObject()) {
                throw new IllegalArgumentException("launch.seed.parts: expected an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                parts.put(e.getKey(), e.getValue().asText());
            }
            seed = Optional.of(new CloudInitSeed(text(sn, "path"), text(sn, "instance_id"), text(sn, "meta_data"),
                    text(sn, "network_config"), text(sn, "user_data"), parts));
        }
        GuestLaunch launch = new GuestLaunch(text(l, "run_dir"), text(l, "qmp_socket"), text(l, "serial_socket"),
                text(l, "serial_log"), text(l, "pid_file"), strings(l, "images"), text(l, "cgroup_path"),
                tap.isNull() ? Optional.empty() : Optional.of(text(l, "tap")), Duration.parse(text(l, "stop_timeout")),
                overlay, seed);
        SortedMap<String, String> config = new TreeMap<>();
        JsonNode c = field(g, "config");
        if (!c.isObject()) {
            throw new IllegalArgumentException("guest.config: expected an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("guest.config." + e.getKey() + ": expected a string");
            }
            config.put(e.getKey(), e.getValue().asText());
        }
        GuestState state;
        try {
            state = GuestState.valueOf(text(g, "state").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("guest.state: unknown state " + g.get("state"));
        }
        return new Guest(text(g, "address"), text(g, "vm"), text(g, "group"), number(g, "uid"), number(g, "gid"),
                strings(g, "argv"), text(g, "config_digest"), config, state, launch, GuestRuntime.NONE);
    }

    private static void exactly(JsonNode node, Set<String> names, String what) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(what + ": expected an object");
        }
        Set<String> present = new TreeSet<>();
        node.fieldNames().forEachRemaining(present::add);
        Set<String> unknown = new TreeSet<>(present);
        unknown.removeAll(names);
        Set<String> missing = new TreeSet<>(names);
        missing.removeAll(present);
        if (!unknown.isEmpty() || !missing.isEmpty()) {
            throw new IllegalArgumentException(what + ":" + (missing.isEmpty() ? "" : " missing " + String.join(", ", missing))
                    + (unknown.isEmpty() ? "" : " unknown " + String.join(", ", unknown)));
        }
    }

    private static JsonNode field(JsonNode node, String name) {
        JsonNode value = node.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return value;
    }

    private static String text(JsonNode node, String name) {
        JsonNode value = field(node, name);
        if (!value.isTextual()) {
            throw new IllegalArgumentException(name + ": expected a string, got " + value);
        }
        return value.asText();
    }

    private static long number(JsonNode node, String name) {
        JsonNode value = field(node, name);
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException(name + ": expected an integer, got " + value);
        }
        return value.asLong();
    }

    private static List<String> strings(JsonNode node, String name) {
        JsonNode value = field(node, name);
        if (!value.isArray()) {
            throw new IllegalArgumentException(name + ": expected an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw new IllegalArgumentException(name + ": expected an array of strings");
            }
            out.add(item.asText());
        }
        return out;
    }
}
