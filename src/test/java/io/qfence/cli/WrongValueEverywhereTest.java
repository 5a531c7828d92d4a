package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13, family 2, as a property: every node of the corpus's valid base (host and group, every field, every list
 * item, every mapping) replaced by each of a set of hostile values — {@code .nan}, {@code -.inf}, a string with NUL
 * and ESC, an empty list, an empty mapping — is refused (or
 * accepted) by {@code validate} with nothing but {@code FILE:LINE:COL: MESSAGE} lines and a summary, never an
 * internal error, never a raw control character. The files are written as JSON, which YAML 1.2 reads as it is.
 */
class WrongValueEverywhereTest {

    /** Five values, chosen so that every node meets a non-finite number, a hostile string and both wrong shapes. */
    static final List<String> HOSTILE = List.of(".nan", "-.inf", "\"a\\u0000b\\u001bc\"", "[]", "{}");
    static final Pattern DIAGNOSTIC = Pattern.compile("(hosts|groups)/[a-z0-9.]+(:\\d+:\\d+)?: .+");
    static final Pattern SUMMARY = Pattern.compile("(valid|invalid): .+");

    record Mutation(String file, String pointer, String value) {
        @Override
        public String toString() {
            return file + "#" + pointer + " = " + value;
        }
    }

    static Stream<Mutation> mutations() throws IOException {
        List<Mutation> out = new ArrayList<>();
        for (String file : List.of("hosts/hv1.yaml", "groups/alpha.yaml")) {
            JsonNode root = new YAMLMapper().readTree(InvalidCorpusTest.BASE.resolve(file).toFile());
            List<String> pointers = new ArrayList<>();
            collect(root, "", pointers);
            for (String p : pointers) {
                for (String v : HOSTILE) {
                    out.add(new Mutation(file, p, v));
                }
            }
        }
        return out.stream();
    }

    private static void collect(JsonNode node, String pointer, List<String> out) {
        if (!pointer.isEmpty()) {
            out.add(pointer);
        }
        if (node.isObject()) {
            node.fieldNames().forEachRemaining(f -> collect(node.get(f), pointer + "/" + f, out));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collect(node.get(i), pointer + "/" + i, out);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mutations")
    void everyHostileValueInEveryPlaceGivesOnlyPreciseLines(Mutation m, @TempDir Path tmp) throws IOException {
        Path dir = InvalidCorpusTest.copyTree(InvalidCorpusTest.BASE, tmp.resolve("desired-state"));
        Path file = dir.resolve(m.file());
        JsonNode root = new YAMLMapper().readTree(file.toFile());
        String marker = "\"@@HOSTILE@@\"";
        String parent = m.pointer().substring(0, m.pointer().lastIndexOf('/'));
        String last = m.pointer().substring(m.pointer().lastIndexOf('/') + 1);
        JsonNode container = parent.isEmpty() ? root : root.at(parent);
        if (container instanceof ObjectNode o) {
            o.put(last, "@@HOSTILE@@");
        } else {
            ((ArrayNode) container).set(Integer.parseInt(last), JsonNodeFactory.instance.textNode("@@HOSTILE@@"));
        }
        String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(root).replace(marker, m.value());
        Files.writeString(file, json, StandardCharsets.UTF_8);

        CliRun run = CliRun.of("validate", "--dir", dir.toString());

        assertThat(run.err()).as("stderr of validate with %s", m).isEmpty();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).as("output of validate with %s", m).isNotEmpty();
        assertThat(lines.subList(0, lines.size() - 1)).allMatch(l -> DIAGNOSTIC.matcher(l).matches(), "a FILE:LINE:COL: MESSAGE line");
        assertThat(lines.get(lines.size() - 1)).matches(SUMMARY);
        assertThat(run.out().codePoints().filter(c -> c < 0x20 && c != '\n')).as("raw control characters with %s", m).isEmpty();
        assertThat(run.exitCode()).isIn(0, 1);
    }
}
