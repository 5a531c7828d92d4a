package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.testing.Golden;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The invalid corpus: each directory under {@code src/test/resources/invalid/} (except {@code _base}) is a small
 * desired state, written as the files that differ from {@code _base} (plus {@code delete.txt} naming base files to
 * remove), and {@code expected.txt}, the exact output {@code qfence validate} must print. Every case must exit 1.
 */
class InvalidCorpusTest {

    static final Path CORPUS = Golden.RESOURCES.resolve("invalid");
    static final Path BASE = CORPUS.resolve("_base");

    static Stream<String> cases() throws IOException {
        try (Stream<Path> dirs = Files.list(CORPUS)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("_")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyInvalidCaseExitsOneWithItsExactDiagnostics(String name, @TempDir Path tmp) throws IOException {
        Path dir = materialize(CORPUS.resolve(name), tmp.resolve("desired-state"));

        CliRun run = CliRun.of("validate", "--dir", dir.toString());

        assertThat(run.err()).isEmpty();
        Golden.assertMatches(CORPUS.resolve(name).resolve("expected.txt"), run.out());
        assertThat(run.exitCode()).as("exit code of %s", name).isEqualTo(1);
    }

    /**
     * A CI job that runs only {@code validate} must never pass a state that {@code plan} then refuses: on every case,
     * {@code plan --empty} refuses too (exit 1), with the same diagnostics in the same order, so the same first error.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void validateAndPlanRefuseEveryInvalidCaseWithTheSameFirstError(String name, @TempDir Path tmp) throws IOException {
        Path dir = materialize(CORPUS.resolve(name), tmp.resolve("desired-state"));

        CliRun validate = CliRun.of("validate", "--dir", dir.toString());
        CliRun plan = CliRun.of("plan", "--empty", "--dir", dir.toString());

        assertThat(List.of(validate.exitCode(), plan.exitCode()))
                .as("exit codes of validate and plan --empty on %s%nvalidate:%n%s%nplan:%n%s", name, validate.out(), plan.err())
                .containsExactly(1, 1);
        List<String> validated = validate.out().lines().toList();
        List<String> diagnostics = validated.subList(0, validated.size() - 1);
        List<String> planned = plan.err().lines().toList();
        assertThat(plan.out()).as("plan output on %s", name).isEmpty();
        assertThat(planned).as("first error of plan --empty on %s", name).first().isEqualTo(diagnostics.get(0));
        assertThat(planned).as("diagnostics of plan --empty on %s", name).isEqualTo(diagnostics);
    }

    @Test
    void theCorpusHasAtLeastThirtyCases() throws IOException {
        assertThat(cases().count()).isGreaterThanOrEqualTo(30);
    }

    /** The cases issue 13 added for families 1 to 3 (57, named f1- to f3-), on top of the 77 before it. */
    @Test
    void theCorpusHoldsTheIssue13Cases() throws IOException {
        assertThat(cases().filter(n -> n.startsWith("f1-") || n.startsWith("f2-") || n.startsWith("f3-")).count())
                .isGreaterThanOrEqualTo(40);
    }

    @Test
    void theBaseOfTheCorpusIsValid(@TempDir Path tmp) throws IOException {
        Path dir = copyTree(BASE, tmp.resolve("base"));
        CliRun run = CliRun.of("validate", "--dir", dir.toString());
        assertThat(run.out()).isEqualTo("valid: 1 host, 2 groups, 4 VMs\n");
        assertThat(run.exitCode()).isZero();
    }

    /** The base, then the case's files on top, then the deletions the case asks for. */
    static Path materialize(Path caseDir, Path target) throws IOException {
        copyTree(BASE, target);
        try (Stream<Path> files = Files.walk(caseDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String rel = caseDir.relativize(f).toString();
                if (rel.equals("expected.txt") || rel.equals("delete.txt")) {
                    continue;
                }
                Path to = target.resolve(rel);
                Files.createDirectories(to.getParent());
                Files.copy(f, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path delete = caseDir.resolve("delete.txt");
        if (Files.exists(delete)) {
            for (String rel : Files.readAllLines(delete, StandardCharsets.UTF_8)) {
                if (!rel.isBlank()) {
                    Files.delete(target.resolve(rel.strip()));
                }
            }
            // a directory left empty by the deletions is removed, so a case can express "no groups/ at all"
            for (String sub : List.of("hosts", "groups")) {
                Path d = target.resolve(sub);
                try (Stream<Path> left = Files.list(d)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(d);
                    }
                }
            }
        }
        return target;
    }

    static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        }
        return to;
    }
}
