package io.qfence.platform.nft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The canonical text of libnftables JSON values (DESIGN.md §7): compact, object keys in the order nft lists them
 * (kept, never re-sorted), and exactly two rewrites, both applied at any depth:
 * <ol>
 *   <li>an anonymous counter's values become zero, {@code {"counter":{"packets":0,"bytes":0}}}: they are run-time
 *       state, not configuration, and zero is what nft lists for a counter that has not counted yet, so a rule
 *       written with zeros is already canonical. A named counter reference ({@code {"counter":"name"}}) is a string
 *       and stays as it is.</li>
 *   <li>the elements of an anonymous set ({@code {"set":[...]}}) are sorted by their canonical text: a set has no
 *       order, and nft lists elements in the order of their binary value (for interface names, of the padded,
 *       byte-swapped string), which a realizer cannot reasonably reproduce.</li>
 * </ol>
 * Nothing else changes: a one-element anonymous set stays as nft lists it (as the bare element), {@code ct state}
 * stays an {@code "in"} match, and so on. Realized rules must already be in this form (they are fixed points).
 */
final class CanonicalJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Comparator<JsonNode> BY_TEXT = Comparator.comparing(CanonicalJson::write);

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
            } else if (key.equals("set") && value.isArray()) {
                copy.set(key, sortedSet((ArrayNode) value));
            } else {
                copy.set(key, canonical(value));
            }
        }
        return copy;
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

    private static ArrayNode sortedSet(ArrayNode elements) {
        List<JsonNode> sorted = new ArrayList<>();
        elements.forEach(e -> sorted.add(canonical(e)));
        sorted.sort(BY_TEXT);
        ArrayNode out = NODES.arrayNode();
        sorted.forEach(out::add);
        return out;
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode object) {
        return object::fields;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
