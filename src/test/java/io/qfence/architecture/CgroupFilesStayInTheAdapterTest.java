package io.qfence.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.CgroupLimitFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * cgroup limit files are read and written by {@code platform.cgroup} alone, and named by {@link CgroupLimitFile} alone
 * (DESIGN §1): a class elsewhere that names {@code memory.max} or {@code cpu/cpu.cfs_quota_us} is about to parse or
 * write it, and would then disagree with the adapter about v1 and v2 (the demo parsed them itself, and v1 observation
 * once read a file realization never wrote). ArchUnit sees no string constants, so this reads the sources: any string
 * literal in {@code src/main} equal to a limit file's name, with or without its v1 hierarchy, is refused outside the
 * adapter and the enum.
 */
class CgroupFilesStayInTheAdapterTest {

    static final Path MAIN = Path.of("src/main/java/io/qfence");

    /** Where the names may be written: the enum that lists them and the adapter that reads and writes them. */
    static final List<String> ALLOWED = List.of("model/host/CgroupLimitFile.java", "platform/cgroup/");

    /**
     * Literals still written elsewhere, each with the change that removes it; an entry that no longer matches fails
     * the test, so it goes away with the code it stood for. None left.
     */
    static final Map<String, Set<String>> PENDING = Map.of();

    static Set<String> limitFileNames() {
        Set<String> names = new TreeSet<>();
        for (CgroupLimitFile f : CgroupLimitFile.values()) {
            names.add(f.file());
            names.add(f.file().substring(f.file().indexOf('/') + 1));
        }
        return names;
    }

    @Test
    void noStringLiteralOutsideTheCgroupAdapterNamesALimitFile() throws IOException {
        Set<String> names = limitFileNames();
        List<String> found = new ArrayList<>();
        Set<String> pendingSeen = new TreeSet<>();
        try (Stream<Path> sources = Files.walk(MAIN)) {
            for (Path source : sources.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String relative = MAIN.relativize(source).toString();
                if (ALLOWED.stream().anyMatch(relative::startsWith)) {
                    continue;
                }
                for (String literal : stringLiterals(Files.readString(source))) {
                    if (!names.contains(literal)) {
                        continue;
                    }
                    if (PENDING.getOrDefault(relative, Set.of()).contains(literal)) {
                        pendingSeen.add(relative + " \"" + literal + "\"");
                    } else {
                        found.add(relative + ": \"" + literal + "\"");
                    }
                }
            }
        }
        assertThat(found).as("cgroup limit file names outside platform.cgroup and CgroupLimitFile").isEmpty();
        Set<String> pending = PENDING.entrySet().stream().flatMap(e -> e.getValue().stream().map(l -> e.getKey() + " \"" + l + "\""))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(pendingSeen).as("pending exemptions that no longer exempt anything: remove them from PENDING")
                .containsExactlyElementsOf(pending);
    }

    @Test
    void theScanSeesLiteralsButNotCommentsCharactersOrTextBlockDelimiters() {
        String source = """
                // "memory.max" in a comment
                /* "cpu.max" in a block comment */
                char q = '"'; String a = "pids.max", b = "a \\" quote";
                String t = \"""
                    memory.high
                    \""";
                """;
        assertThat(stringLiterals(source)).containsExactly("pids.max", "a \\\" quote", "memory.high\n");
    }

    @Test
    void everyNameIsCheckedWithAndWithoutItsV1Hierarchy() {
        assertThat(limitFileNames()).contains("memory.max", "memory/memory.limit_in_bytes", "memory.limit_in_bytes",
                "cpu/cpu.cfs_quota_us", "cpu.cfs_quota_us", "blkio.bfq.weight");
    }

    /** The contents of the string literals and text blocks of a Java source, escapes left as written. */
    static List<String> stringLiterals(String src) {
        List<String> literals = new ArrayList<>();
        int i = 0;
        while (i < src.length()) {
            if (src.startsWith("//", i)) {
                i = end(src, src.indexOf('\n', i));
            } else if (src.startsWith("/*", i)) {
                i = end(src, src.indexOf("*/", i + 2)) + 2;
            } else if (src.startsWith("\"\"\"", i)) {
                int start = src.indexOf('\n', i) + 1;
                int close = closing(src, start, "\"\"\"");
                literals.add(Arrays.stream(src.substring(start, close).split("\n", -1)).map(String::strip)
                        .collect(Collectors.joining("\n")));
                i = close + 3;
            } else if (src.charAt(i) == '"' || src.charAt(i) == '\'') {
                String quote = String.valueOf(src.charAt(i));
                int close = closing(src, i + 1, quote);
                if (quote.equals("\"")) {
                    literals.add(src.substring(i + 1, close));
                }
                i = close + 1;
            } else {
                i++;
            }
        }
        return literals;
    }

    private static int end(String src, int index) {
        return index < 0 ? src.length() : index;
    }

    /** The index of {@code quote} after {@code from}, skipping backslash escapes. */
    private static int closing(String src, int from, String quote) {
        int i = from;
        while (i < src.length() && !src.startsWith(quote, i)) {
            i += src.charAt(i) == '\\' ? 2 : 1;
        }
        return i;
    }
}
