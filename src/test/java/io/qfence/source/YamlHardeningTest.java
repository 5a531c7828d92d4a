package io.qfence.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Diagnostic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input is refused by a cap, not by luck: each test checks that the refusal comes from the cap that bounds
 * the work (size, aliases, depth, expanded nodes), so refusal time is bounded by construction. Wall-clock time is
 * measured and reported outside the tests.
 */
class YamlHardeningTest {

    static final Clock TODAY = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);

    @Test
    void aFileOfFiveMebibytesIsRefusedFromItsSizeBeforeItIsRead(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("hosts"));
        Files.createDirectories(dir.resolve("groups"));
        Files.write(dir.resolve("groups/huge.yaml"), new byte[5 * 1024 * 1024]);

        LoadResult result = DesiredStateLoader.loadDirectory(dir, TODAY);

        assertThat(result.errors()).extracting(Diagnostic::toString).containsExactly(
                "groups/huge.yaml:1:1: file is 5242880 bytes; desired-state files are limited to 1048576 bytes (1 MiB)");
    }

    @Test
    void theSizeCapIsOneMebibyteExactly() {
        assertThat(YamlDocumentReader.checkSize("f.yaml", 1024 * 1024)).isEmpty();
        assertThat(YamlDocumentReader.checkSize("f.yaml", 1024 * 1024 + 1)).isPresent();
    }

    @Test
    void aBillionLaughsDocumentIsRefusedByTheAliasCapAtTheSeventeenthAlias() {
        StringBuilder bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        String previous = "a";
        for (char level = 'b'; level <= 'i'; level++) {
            bomb.append(level).append(": &").append(level).append(" [");
            bomb.append(String.join(",", java.util.Collections.nCopies(9, "*" + previous))).append("]\n");
            previous = String.valueOf(level);
        }

        List<Diagnostic> diagnostics = read(bomb.toString());

        // 9 aliases on line 2, the 17th is the 8th alias on line 3: "c: &c [*b,*b,..." -> column 1 + 7 + 3 * 7
        assertThat(diagnostics).extracting(Diagnostic::toString).containsExactly(
                "f.yaml:3:29: more than 16 aliases to mappings or sequences; alias expansion is capped to refuse 'billion laughs' documents");
    }

    @Test
    void aliasesToScalarsAreNotCountedAgainstTheCap() {
        StringBuilder yaml = new StringBuilder("a: &a x\nb: [");
        yaml.append(String.join(",", java.util.Collections.nCopies(100, "*a"))).append("]\n");

        assertThat(read(yaml.toString())).isEmpty();
    }

    @Test
    void anExpansionWithinTheAliasCapIsStillBoundedByTheNodeCap() {
        // 16 aliases of a 10,000-item list expand to 160,000 nodes: under the alias cap, over the node cap.
        StringBuilder yaml = new StringBuilder("a: &a [");
        yaml.append(String.join(",", java.util.Collections.nCopies(10_000, "1"))).append("]\nb: [");
        yaml.append(String.join(",", java.util.Collections.nCopies(16, "*a"))).append("]\n");

        List<Diagnostic> diagnostics = read(yaml.toString());

        assertThat(diagnostics).singleElement().extracting(Diagnostic::message)
                .isEqualTo("the document expands to more than 100000 nodes; alias expansion is capped");
    }

    @Test
    void aMillionLevelsOfNestingAreRefusedAtTheDepthCapWithoutRecursing() {
        String deep = "[".repeat(500_000) + "]".repeat(500_000);

        List<Diagnostic> diagnostics = read(deep);

        assertThat(diagnostics).extracting(Diagnostic::toString).containsExactly(
                "f.yaml:1:33: nesting is deeper than 32 levels; desired-state files are limited to 32");
    }

    @Test
    void thirtyTwoLevelsOfNestingAreAllowed() {
        assertThat(read("[".repeat(32) + "]".repeat(32))).isEmpty();
    }

    @Test
    void everyDuplicateKeyAndEveryCustomTagIsReportedInOneRun() {
        String yaml = "a: 1\nb: !secret x\na: 2\nc:\n  d: 1\n  d: !!binary aGk=\n";

        assertThat(read(yaml)).extracting(Diagnostic::toString).containsExactly(
                "f.yaml:2:4: tag '!secret' is not allowed; desired-state files use plain YAML without custom tags",
                "f.yaml:6:6: tag '!!binary' is not allowed; desired-state files use plain YAML without custom tags",
                "f.yaml:3:1: duplicate key 'a' (first defined on line 1)",
                "f.yaml:6:3: duplicate key 'd' (first defined on line 5)");
    }

    @Test
    void invalidUtf8IsNamedByLineColumnAndByteOffset() {
        byte[] bytes = "a: 1\nb: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        List<Diagnostic> diagnostics = new ArrayList<>();

        assertThat(YamlDocumentReader.read("f.yaml", bytes, diagnostics)).isEmpty();
        assertThat(diagnostics).extracting(Diagnostic::toString).containsExactly(
                "f.yaml:2:7: not valid UTF-8: byte 0xE9 at offset 11; desired-state files must be UTF-8");
    }

    @Test
    void aUtf8ByteOrderMarkIsAccepted() {
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
        byte[] yaml = "a: 1\n".getBytes(StandardCharsets.UTF_8);
        byte[] both = new byte[bom.length + yaml.length];
        System.arraycopy(bom, 0, both, 0, bom.length);
        System.arraycopy(yaml, 0, both, bom.length, yaml.length);

        List<Diagnostic> diagnostics = new ArrayList<>();
        assertThat(YamlDocumentReader.read("f.yaml", both, diagnostics)).isPresent();
        assertThat(diagnostics).isEmpty();
    }

    @Test
    void yaml11BooleansStayStringsAndNumbersKeepTheirExactValue() {
        Optional<ParsedDocument> doc = parse("a: on\nb: yes\nc: off\nd: true\ne: 1.10\nf: 0x10\ng: ~\nh: '5'\n");

        var root = doc.orElseThrow().root();
        assertThat(root.get("a").isTextual()).isTrue();
        assertThat(root.get("a").asText()).isEqualTo("on");
        assertThat(root.get("b").asText()).isEqualTo("yes");
        assertThat(root.get("c").asText()).isEqualTo("off");
        assertThat(root.get("d").isBoolean()).isTrue();
        assertThat(root.get("e").decimalValue()).isEqualByComparingTo("1.10");
        assertThat(root.get("f").asInt()).isEqualTo(16);
        assertThat(root.get("g").isNull()).isTrue();
        assertThat(root.get("h").isTextual()).isTrue();
    }

    @Test
    void marksPointAtKeysAndValues() {
        ParsedDocument doc = parse("spec:\n  vms:\n    - name: a\n      ip: 10.0.0.2\n").orElseThrow();

        assertThat(doc.marks().key("/spec/vms/0/ip").toString()).isEqualTo("f.yaml:4:7");
        assertThat(doc.marks().value("/spec/vms/0/ip").toString()).isEqualTo("f.yaml:4:11");
        assertThat(doc.marks().value("/spec/vms/0").toString()).isEqualTo("f.yaml:3:7");
        // a missing member is located at its nearest present ancestor
        assertThat(doc.marks().value("/spec/vms/0/mac").toString()).isEqualTo("f.yaml:3:7");
    }

    private static Optional<ParsedDocument> parse(String yaml) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        Optional<ParsedDocument> doc = YamlDocumentReader.read("f.yaml", yaml.getBytes(StandardCharsets.UTF_8), diagnostics);
        assertThat(diagnostics).isEmpty();
        return doc;
    }

    private static List<Diagnostic> read(String yaml) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        Optional<ParsedDocument> doc = YamlDocumentReader.read("f.yaml", yaml.getBytes(StandardCharsets.UTF_8), diagnostics);
        assertThat(doc.isPresent()).isEqualTo(diagnostics.isEmpty());
        return diagnostics.stream().toList();
    }
}
