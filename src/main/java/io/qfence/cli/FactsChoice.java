package io.qfence.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.host.HostPorts;
import io.qfence.model.errors.IoMessages;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.Capability;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.HostFacts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code plan --empty --facts typical|this-host|FILE}: which host a plan against a bare host is made for. Realization
 * depends on it (cgroup v1 or v2 files, VLANs, AppArmor), so a CI plan must say, and choose, what it assumes.
 */
record FactsChoice(HostFacts facts, String source) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static FactsChoice of(String choice, CliContext context, HostOptions host) {
        return switch (choice) {
            case "typical" -> new FactsChoice(HostFacts.TYPICAL, "assumed: a typical host; --facts this-host or FILE chooses others");
            case "this-host" -> {
                try (HostPorts ports = LiveHostCommands.connect(context, host, "plan --empty --facts this-host")) {
                    yield new FactsChoice(ports.facts().facts(), "as observed on this host");
                }
            }
            default -> new FactsChoice(read(Path.of(choice)), "from " + choice);
        };
    }

    /** {@code {"cgroup_version": "v2", "capabilities": ["bridge", ...]}}, as in {@code qfence state}'s {@code facts}. */
    static HostFacts read(Path file) {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // the parser's own message, not its exception text (which names an internal source, "REDACTED", and a feature flag)
            throw new UsageException("--facts " + file + ": not JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() : ""), e);
        } catch (IOException e) {
            throw new UsageException("--facts " + file + ": " + IoMessages.reason(e), e);
        }
        if (n == null || !n.isObject() || !n.path("cgroup_version").isTextual() || !n.path("capabilities").isArray()) {
            throw new UsageException("--facts " + file + ": expected a JSON object with \"cgroup_version\" (\"v1\" or \"v2\") and "
                    + "\"capabilities\" (an array of names), as in the \"facts\" of qfence state's JSON");
        }
        try {
            CgroupVersion version = CgroupVersion.valueOf(n.get("cgroup_version").asText().toUpperCase(Locale.ROOT));
            EnumSet<Capability> capabilities = EnumSet.noneOf(Capability.class);
            n.get("capabilities").forEach(c -> capabilities.add(Capability.valueOf(c.asText().toUpperCase(Locale.ROOT).replace('-', '_'))));
            return new HostFacts(version, capabilities);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--facts " + file + ": unknown cgroup version or capability (" + e.getMessage()
                    .replaceFirst("^No enum constant [\\w.$]+\\.", "") + "); capabilities are "
                    + EnumSet.allOf(Capability.class).stream().map(FactsChoice::name).collect(Collectors.joining(", ")), e);
        }
    }

    /** {@code cgroup v2; bridge, tun, ...; without AppArmor, KVM}. */
    static String describe(HostFacts facts) {
        EnumSet<Capability> without = EnumSet.allOf(Capability.class);
        without.removeAll(facts.capabilities());
        return "cgroup " + facts.cgroupVersion().name().toLowerCase(Locale.ROOT) + "; "
                + (without.isEmpty() ? "every kernel feature qfence uses" : "without " + without.stream().map(FactsChoice::name)
                        .collect(Collectors.joining(", ")));
    }

    private static String name(Capability c) {
        return c.name().toLowerCase(Locale.ROOT);
    }

    /** The JSON plan with {@code host_facts} after {@code host}. */
    static String withFacts(String json, HostFacts facts, String source) {
        try {
            ObjectNode plan = (ObjectNode) JSON.readTree(json);
            ObjectNode out = JSON.createObjectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = plan.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.set(e.getKey(), e.getValue());
                if (e.getKey().equals("host")) {
                    ObjectNode f = out.putObject("host_facts");
                    f.put("cgroup_version", facts.cgroupVersion().name().toLowerCase(Locale.ROOT));
                    f.putArray("capabilities").addAll(facts.capabilities().stream().sorted()
                            .map(c -> JSON.getNodeFactory().textNode(name(c))).toList());
                    f.put("source", source);
                }
            }
            return JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out) + (json.endsWith("\n") ? "\n" : "");
        } catch (IOException e) {
            throw new IllegalStateException("the plan's JSON could not be read back: " + e.getMessage(), e);
        }
    }
}
