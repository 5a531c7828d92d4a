package io.qfence.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.qfence.model.Diagnostic;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Validates a parsed document against {@code schemas/host.schema.json} or {@code schemas/group.schema.json}
 * (draft 2020-12, loaded from the classpath copy in the jar) and turns each networknt message into a diagnostic at
 * the offending YAML position, worded for the person who wrote the file rather than for a schema author.
 */
final class SchemaCheck {

    /** The two kinds of document; the directory a file is in decides which schema applies. */
    enum Kind {
        HOST("Host", "host.schema.json"),
        GROUP("Group", "group.schema.json"),
        POLICY("Policy", "policy.schema.json");

        final String kind;
        final String schemaFile;

        Kind(String kind, String schemaFile) {
            this.kind = kind;
            this.schemaFile = schemaFile;
        }
    }

    /** What a pattern means, per schema definition or property, so that messages never show a regular expression. */
    private static final Map<String, String> PATTERN_HINTS = Map.ofEntries(
            Map.entry("dnsLabel", "must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit)"),
            Map.entry("absolutePath", "must be an absolute path"),
            Map.entry("relativePath", "must be a relative path"),
            Map.entry("ipv4Address", "must be an IPv4 address such as 10.10.0.11"),
            Map.entry("ipv4Cidr", "must be an IPv4 network such as 10.10.0.0/24"),
            Map.entry("ipv6Cidr", "must be an IPv6 network such as fd00:10::/64"),
            Map.entry("cidr", "must be a network such as 198.51.100.0/24 or 2001:db8::/32"),
            Map.entry("byteSize", "must be a size such as 512Mi or 2Gi (binary suffixes Ki, Mi, Gi, Ti)"),
            Map.entry("duration", "must be a duration such as 30s or 2m"),
            Map.entry("date", "must be a date such as 2026-12-31"),
            Map.entry("endpoint", "must be a VM name, group:NAME, a CIDR, 'host' or 'internet'"),
            Map.entry("selector", "must be a VM name, group:NAME, label:KEY=VALUE, a CIDR, 'host' or 'internet'"),
            Map.entry("labelText", "must be letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit"),
            Map.entry("uplink", "must be a kernel interface name without '/', ':' or whitespace"),
            Map.entry("machine", "must be a QEMU machine type such as q35 or pc"),
            Map.entry("mac", "must be a MAC address such as 02:00:0a:0a:00:0b"),
            Map.entry("ports", "must be a port or a range such as 8000-8080"));

    private static final SchemaCheck INSTANCE = new SchemaCheck();

    private final Map<Kind, JsonSchema> schemas;
    private final Map<Kind, JsonNode> schemaTrees;

    private SchemaCheck() {
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                .pathType(PathType.JSON_POINTER)
                .formatAssertionsEnabled(true)
                .build();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        ObjectMapper mapper = new ObjectMapper();
        var trees = new EnumMap<Kind, JsonNode>(Kind.class);
        var compiled = new EnumMap<Kind, JsonSchema>(Kind.class);
        for (Kind kind : Kind.values()) {
            JsonNode tree = readSchema(mapper, kind.schemaFile);
            trees.put(kind, tree);
            JsonSchema schema = factory.getSchema(tree, config);
            schema.initializeValidators();
            compiled.put(kind, schema);
        }
        this.schemas = compiled;
        this.schemaTrees = trees;
    }

    static SchemaCheck instance() {
        return INSTANCE;
    }

    /** The schema text as shipped, for tools and tests that want to read it. */
    static JsonNode readSchema(ObjectMapper mapper, String schemaFile) {
        String resource = "/schemas/" + schemaFile;
        try (InputStream in = SchemaCheck.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema " + resource + " is missing from the classpath; rebuild the jar");
            }
            return mapper.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema " + resource, e);
        }
    }

    /**
     * What the schema found in one document: its diagnostics, and the JSON pointers of the values it refused (plus
     * those of missing required fields), which binding skips so that it reports only what the schema did not.
     */
    record Checked(List<Diagnostic> diagnostics, Set<String> refused) {
        Checked {
            diagnostics = List.copyOf(diagnostics);
            refused = Set.copyOf(refused);
        }
    }

    /** A finite stand-in for NaN and the infinities: a number, so every check still runs, but never an integer. */
    private static final JsonNode NON_FINITE_STAND_IN = JsonNodeFactory.instance.numberNode(new BigDecimal("0.5"));

    /** Every schema violation of the document, located and worded; no diagnostics when the document is valid. */
    Checked check(Kind kind, ParsedDocument doc) {
        // YAML's .nan, .inf and -.inf are numbers that the validator turns into BigDecimal for minimum and maximum,
        // which throws NumberFormatException (measured: limits.cpus: .nan crashed the CLI). So they are validated
        // as a stand-in and reported as what they are.
        Map<String, String> nonFinite = new TreeMap<>();
        JsonNode root = withoutNonFinite(doc.root(), "", nonFinite);
        Set<ValidationMessage> messages = schemas.get(kind).validate(root);
        // A misspelt required field shows up twice: "unknown field 'vlna'" and "missing required field 'vlan'".
        // The first, with its suggestion, says it all; the second is dropped.
        Set<String> misspelt = new HashSet<>();
        for (ValidationMessage m : messages) {
            if (isUnknownField(m)) {
                closest(kind, m, m.getProperty()).ifPresent(c -> misspelt.add(m.getInstanceLocation() + "#" + c));
            }
        }
        TreeSet<Diagnostic> out = new TreeSet<>();
        Set<String> refused = new HashSet<>(nonFinite.keySet());
        Map<String, List<ValidationMessage>> atNonFinite = new TreeMap<>();
        for (ValidationMessage m : messages) {
            if (m.getEvaluationPath().toString().contains("/oneOf/")) {
                continue; // the branches of a oneOf explain nothing the oneOf message does not say better
            }
            String pointer = m.getInstanceLocation().toString();
            if (m.getSchemaLocation().getFragment().toString().contains("/vm/anyOf/")) {
                // the validator reports an anyOf only through its branches (here: "missing disk", "missing boot"),
                // which say one thing together: both branches' lines become this one (the set keeps one)
                out.add(Diagnostic.error(doc.marks().value(pointer), label(pointer)
                        + ": a VM needs a boot source: 'disk', 'boot', or both (a kernel whose root filesystem is on the disk)"));
                continue;
            }
            if (m.getType().equals("required")) {
                refused.add(MarkIndex.child(pointer, m.getProperty()));
                if (misspelt.contains(pointer + "#" + m.getProperty())) {
                    continue;
                }
            } else if (!isUnknownField(m) && !m.getType().equals("oneOf")) {
                refused.add(pointer);
            }
            if (nonFinite.containsKey(pointer) && !isUnknownField(m) && !m.getType().equals("required")) {
                atNonFinite.computeIfAbsent(pointer, k -> new ArrayList<>()).add(m);
                continue;
            }
            out.add(toDiagnostic(kind, doc, m, nonFinite));
        }
        for (Map.Entry<String, String> e : nonFinite.entrySet()) {
            out.addAll(nonFiniteDiagnostics(kind, doc, e.getKey(), e.getValue(), atNonFinite.getOrDefault(e.getKey(), List.of()), nonFinite));
        }
        return new Checked(new ArrayList<>(out), refused);
    }

    /**
     * One line per non-finite value: the type the field needs when the stand-in was of the wrong type ("vlan: must
     * be an integer, got NaN"), else what else the field refused (an enum, a const), else that it must be finite. A
     * minimum or maximum said about the stand-in would be about 0.5, not about the value, so it is never shown.
     */
    private List<Diagnostic> nonFiniteDiagnostics(Kind kind, ParsedDocument doc, String pointer, String shown,
            List<ValidationMessage> found, Map<String, String> nonFinite) {
        List<ValidationMessage> type = found.stream().filter(m -> m.getType().equals("type")).toList();
        List<ValidationMessage> other = found.stream()
                .filter(m -> !Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf").contains(m.getType()))
                .toList();
        List<ValidationMessage> chosen = !type.isEmpty() ? type : other;
        if (chosen.isEmpty()) {
            return List.of(Diagnostic.error(doc.marks().value(pointer), label(pointer) + ": must be a finite number, got " + shown));
        }
        return chosen.stream().map(m -> toDiagnostic(kind, doc, m, nonFinite)).toList();
    }

    /** A copy of {@code node} with NaN and the infinities replaced by the stand-in; their pointers and spellings go to {@code found}. */
    private static JsonNode withoutNonFinite(JsonNode node, String pointer, Map<String, String> found) {
        if (node.isFloatingPointNumber() && !node.isBigDecimal() && !Double.isFinite(node.doubleValue())) {
            found.put(pointer, node.asText());
            return NON_FINITE_STAND_IN;
        }
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                copy.set(f.getKey(), withoutNonFinite(f.getValue(), MarkIndex.child(pointer, f.getKey()), found));
            }
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < node.size(); i++) {
                copy.add(withoutNonFinite(node.get(i), MarkIndex.child(pointer, i), found));
            }
            return copy;
        }
        return node;
    }

    private static boolean isUnknownField(ValidationMessage m) {
        return m.getType().equals("additionalProperties") || m.getType().equals("unevaluatedProperties");
    }

    private Diagnostic toDiagnostic(Kind kind, ParsedDocument doc, ValidationMessage m, Map<String, String> nonFinite) {
        String pointer = m.getInstanceLocation().toString();
        JsonNode schemaNode = m.getSchemaNode();
        String label = label(pointer);
        String got = nonFinite.containsKey(pointer) ? nonFinite.get(pointer) : describe(m.getInstanceNode());
        MarkIndex marks = doc.marks();
        return switch (m.getType()) {
            case "additionalProperties", "unevaluatedProperties" -> {
                String property = m.getProperty();
                String member = MarkIndex.child(pointer, property);
                yield Diagnostic.error(marks.key(member), "unknown field '" + property + "'"
                        + closest(kind, m, property).map(c -> " (did you mean '" + c + "'?)").orElse(""));
            }
            case "required" -> Diagnostic.error(marks.key(pointer),
                    label + ": missing required field '" + m.getProperty() + "'");
            case "type" -> Diagnostic.error(marks.value(pointer),
                    label + ": must be " + expectedTypes(schemaNode) + ", got " + got);
            case "enum" -> Diagnostic.error(marks.value(pointer),
                    label + ": must be one of " + join(schemaNode) + ", got " + got);
            case "const" -> Diagnostic.error(marks.value(pointer),
                    label + ": must be '" + schemaNode.asText() + "', got " + got);
            case "pattern" -> Diagnostic.error(marks.value(pointer),
                    label + ": " + patternHint(m) + ", got " + got);
            case "minimum" -> Diagnostic.error(marks.value(pointer),
                    label + ": must be at least " + schemaNode.asText() + ", got " + got);
            case "maximum" -> Diagnostic.error(marks.value(pointer),
                    label + ": must be at most " + schemaNode.asText() + ", got " + got);
            case "exclusiveMinimum" -> Diagnostic.error(marks.value(pointer),
                    label + ": must be greater than " + schemaNode.asText() + ", got " + got);
            case "minItems" -> Diagnostic.error(marks.value(pointer), label + ": "
                    + (schemaNode.asInt() == 1 ? "must not be empty" : "must have at least " + schemaNode.asInt() + " items"));
            case "uniqueItems" -> Diagnostic.error(marks.value(pointer), label + ": must not list the same item twice");
            case "minLength" -> Diagnostic.error(marks.value(pointer), label + ": must not be empty");
            case "maxLength" -> Diagnostic.error(marks.value(pointer),
                    label + ": must be at most " + schemaNode.asInt() + " characters long");
            case "oneOf" -> Diagnostic.error(marks.value(pointer), label + ": "
                    + (m.getSchemaLocation().getFragment().toString().endsWith("/disk/oneOf")
                            ? "a disk is either 'path' (the VM's own image) or 'base' (a shared base image under a"
                                    + " copy-on-write overlay), exactly one of them"
                            : m.getMessage()));
            default -> Diagnostic.error(marks.value(pointer), label + ": " + m.getMessage());
        };
    }

    /** {@code vlan}, {@code vms[2]}, {@code ports[0]}; the whole document is "document". */
    static String label(String pointer) {
        if (pointer.isEmpty()) {
            return "document";
        }
        String[] tokens = pointer.substring(1).split("/", -1);
        StringBuilder suffix = new StringBuilder();
        for (int i = tokens.length - 1; i >= 0; i--) {
            String t = tokens[i].replace("~1", "/").replace("~0", "~");
            if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
                suffix.insert(0, "[" + t + "]");
            } else {
                return t + suffix;
            }
        }
        return "document" + suffix;
    }

    private static String expectedTypes(JsonNode typeNode) {
        List<String> names = new ArrayList<>();
        if (typeNode.isArray()) {
            typeNode.forEach(t -> names.add(article(t.asText())));
        } else {
            names.add(article(typeNode.asText()));
        }
        return String.join(" or ", names);
    }

    private static String article(String type) {
        return switch (type) {
            case "object" -> "a mapping";
            case "array" -> "a list";
            case "integer" -> "an integer";
            case "null" -> "null";
            default -> "a " + type;
        };
    }

    /** Describes the offending value briefly: {@code 'ten'}, {@code 5000}, {@code a mapping}. */
    static String describe(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "nothing";
        }
        if (value.isTextual()) {
            String t = value.asText();
            return "'" + (t.length() > 60 ? t.substring(0, 57) + "..." : t) + "'";
        }
        if (value.isObject()) {
            return "a mapping";
        }
        if (value.isArray()) {
            return "a list";
        }
        if (value.isNull()) {
            return "null";
        }
        if (value.isBigDecimal()) {
            return shortNumber(value.decimalValue());
        }
        return value.asText();
    }

    /** A number as written when short ({@code 1.5}, {@code 5000}); in scientific notation when that would be long ({@code 1E+400}). */
    static String shortNumber(BigDecimal d) {
        String plain = d.toPlainString();
        return plain.length() <= 24 ? plain : d.toString();
    }

    private static String join(JsonNode values) {
        List<String> parts = new ArrayList<>();
        values.forEach(v -> parts.add(v.asText()));
        return String.join(", ", parts);
    }

    private static String patternHint(ValidationMessage m) {
        // e.g. .../group.schema.json#/$defs/byteSize/pattern or #/properties/spec/properties/uplink/pattern
        List<String> tokens = List.of(m.getSchemaLocation().getFragment().toString().split("/"));
        for (int i = tokens.size() - 2; i >= 0; i--) {
            String hint = PATTERN_HINTS.get(tokens.get(i));
            if (hint != null) {
                return hint;
            }
        }
        return "must match the pattern " + m.getSchemaNode().asText();
    }

    /** Suggests the allowed field closest to a misspelled one: {@code vlna} is probably {@code vlan}. */
    private Optional<String> closest(Kind kind, ValidationMessage m, String property) {
        String fragment = m.getSchemaLocation().getFragment().toString();
        String objectPointer = fragment.substring(0, Math.max(0, fragment.lastIndexOf('/')));
        JsonNode properties = schemaTrees.get(kind).at(objectPointer).path("properties");
        Optional<String> best = Optional.empty();
        int bestDistance = Integer.MAX_VALUE;
        for (Iterator<String> it = properties.fieldNames(); it.hasNext(); ) {
            String candidate = it.next();
            int d = distance(property.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = Optional.of(candidate);
            }
        }
        int allowed = Math.max(1, property.length() / 3);
        return bestDistance <= allowed ? best : Optional.empty();
    }

    /** Optimal-string-alignment distance: a swapped pair of letters counts as one edit, as in {@code vlna}. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
