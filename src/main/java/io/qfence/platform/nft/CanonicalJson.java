package io.qfence.platform.nft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The canonical text of libnftables JSON values (DESIGN.md §7): compact, object keys in the order nft lists them
 * (kept, never re-sorted), and two rewrites, applied at any depth. An anonymous counter's values become zero,
 * {@code {"counter":{"packets":0,"bytes":0}}}. They are run-time state, not configuration, and zero is what nft lists
 * for a counter that has not counted yet, so a rule written with zeros is already canonical. A named counter reference
 * ({@code {"counter":"name"}}) is a string and stays as it is. And a layer-4 protocol number on the right of a
 * {@code meta l4proto}, {@code ip protocol} or {@code ip6 nexthdr} match becomes its name, for the four protocols
 * qfence writes (icmp, tcp, udp, ipv6-icmp; alone or in an anonymous set): nft names them through
 * {@code /etc/protocols} when it lists a rule, and lists the bare number on a host without that file (a minimal
 * Debian without {@code netbase}, as the production-kernel lab's image is), where every rule with a protocol match
 * would otherwise read as drift and fail apply's post-condition. The number and the name are the same rule.
 *
 * <p>Anonymous set elements keep nft's order. nft sorts them when it lists a rule, by value: numbers and addresses
 * numerically, interface names (and whole concatenations) as little-endian integers of their bytes. That order is a
 * function of the set's content, never of how it was written, so it is canonical as it is; a realizer emits it (the
 * rule-shape catalogues prove it shape by shape). Nothing else changes: a one-element anonymous set stays as nft lists
 * it (the bare element), {@code ct state} stays an {@code "in"} match, and so on.
 */
final class CanonicalJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The protocols qfence's rules name, by number, as {@code /etc/protocols} names them (its first name). */
    private static final Map<Integer, String> PROTOCOL_NAMES = Map.of(1, "icmp", 6, "tcp", 17, "udp", 58, "ipv6-icmp");

    private CanonicalJson() {}

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage() + " in: " + abbreviate(json), e);
        }
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + node, e);
        }
    }

    /** A canonical copy of {@code node}; the argument is not modified. */
    static JsonNode canonical(JsonNode node) {
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode();
            node.forEach(e -> copy.add(canonical(e)));
            return copy;
        }
        if (!node.isObject()) {
            return node.deepCopy();
        }
        ObjectNode copy = NODES.objectNode();
        for (Map.Entry<String, JsonNode> field : iterable(node)) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (key.equals("counter") && value.isObject() && (value.has("packets") || value.has("bytes"))) {
                copy.set(key, zeroedCounter());
            } else if (key.equals("right") && isProtocol(node.path("left"))) {
                copy.set(key, protocolNames(value));
            } else {
                copy.set(key, canonical(value));
            }
        }
        return copy;
    }

    /** {@code meta l4proto}, {@code ip protocol} or {@code ip6 nexthdr}: the left side of a protocol match. */
    private static boolean isProtocol(JsonNode left) {
        if (left.path("meta").path("key").asText().equals("l4proto")) {
            return true;
        }
        JsonNode payload = left.path("payload");
        String field = payload.path("protocol").asText() + " " + payload.path("field").asText();
        return field.equals("ip protocol") || field.equals("ip6 nexthdr");
    }

    /** A protocol number (alone, or as an element of an anonymous set) as its name; anything else as it is. */
    private static JsonNode protocolNames(JsonNode right) {
        if (right.isInt() && PROTOCOL_NAMES.containsKey(right.asInt())) {
            return NODES.textNode(PROTOCOL_NAMES.get(right.asInt()));
        }
        if (right.isObject() && right.size() == 1 && right.path("set").isArray()) {
            ArrayNode elements = NODES.arrayNode();
            right.path("set").forEach(e -> elements.add(protocolNames(e)));
            ObjectNode set = NODES.objectNode();
            set.set("set", elements);
            return set;
        }
        return canonical(right);
    }

    /** The canonical text of {@code node}. */
    static String canonicalText(JsonNode node) {
        return write(canonical(node));
    }

    static ObjectNode zeroedCounter() {
        ObjectNode counter = NODES.objectNode();
        counter.put("packets", 0);
        counter.put("bytes", 0);
        return counter;
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode object) {
        return object::fields;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
