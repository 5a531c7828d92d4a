package io.qfence.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The schemas are the format's reference: every field is described with an example, and nothing unknown passes. */
class SchemaDocumentationTest {

    @ParameterizedTest
    @ValueSource(strings = {"host.schema.json", "group.schema.json", "policy.schema.json"})
    void everyFieldHasADescriptionAndAnExample(String file) throws IOException {
        JsonNode schema = new ObjectMapper().readTree(Path.of("schemas", file).toFile());
        List<String> undocumented = new ArrayList<>();
        walk(schema, "#", (pointer, node) -> {
            JsonNode properties = node.path("properties");
            for (Map.Entry<String, JsonNode> field : properties.properties()) {
                JsonNode f = field.getValue();
                if (!f.hasNonNull("description") || f.path("examples").isEmpty()) {
                    undocumented.add(pointer + "/properties/" + field.getKey());
                }
            }
        });
        assertThat(undocumented).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"host.schema.json", "group.schema.json", "policy.schema.json"})
    void everyObjectRefusesUnknownFields(String file) throws IOException {
        JsonNode schema = new ObjectMapper().readTree(Path.of("schemas", file).toFile());
        List<String> open = new ArrayList<>();
        walk(schema, "#", (pointer, node) -> {
            if (node.has("properties") && !node.path("additionalProperties").isBoolean()) {
                open.add(pointer);
            } else if (node.has("properties") && node.path("additionalProperties").asBoolean()) {
                open.add(pointer);
            }
        });
        assertThat(open).isEmpty();
    }

    @Test
    void theShippedSchemasAreTheOnesOnTheClasspath() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        for (String file : List.of("host.schema.json", "group.schema.json", "policy.schema.json")) {
            assertThat(SchemaCheck.readSchema(mapper, file)).isEqualTo(mapper.readTree(Path.of("schemas", file).toFile()));
        }
    }

    @Test
    void everyExampleFileStartsWithASchemaModelineThatResolves() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("desired-state"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                String first = Files.readAllLines(f).get(0);
                assertThat(first).as(f.toString()).startsWith("# yaml-language-server: $schema=");
                Path schema = f.getParent().resolve(first.substring(first.indexOf('=') + 1)).normalize();
                assertThat(schema).as(f + " points at its schema").exists();
                assertThat(schema.getFileName().toString())
                        .isEqualTo(switch (f.getParent().getFileName().toString()) {
                            case "hosts" -> "host.schema.json";
                            case "policies" -> "policy.schema.json";
                            default -> "group.schema.json";
                        });
            }
        }
    }

    private interface Visitor {
        void visit(String pointer, JsonNode node);
    }

    private static void walk(JsonNode node, String pointer, Visitor visitor) {
        if (node.isObject()) {
            visitor.visit(pointer, node);
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (!e.getKey().equals("examples") && !e.getKey().equals("default")) {
                    walk(e.getValue(), pointer + "/" + e.getKey(), visitor);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), pointer + "/" + i, visitor);
            }
        }
    }
}
