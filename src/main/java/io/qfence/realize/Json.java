package io.qfence.realize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Compact JSON text of trees built in memory (nft exprs, QEMU -blockdev options): keys in insertion order. */
final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    static String compact(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree built in memory always serializes", e);
        }
    }

    /** The elements of a JSON array text the loader produced from Git (cloud-init {@code write_files}). */
    static java.util.List<JsonNode> parseArray(String json) {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (!node.isArray()) {
                throw new IllegalArgumentException("expected a JSON array, got " + node.getNodeType());
            }
            java.util.List<JsonNode> items = new java.util.ArrayList<>();
            node.forEach(items::add);
            return items;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
    }
}
