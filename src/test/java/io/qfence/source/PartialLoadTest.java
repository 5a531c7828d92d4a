package io.qfence.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.Diagnostic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When one file is broken, the others are still checked, but nothing is reported as missing merely because it lives
 * in the broken file: one typo must not bury the real error under "unknown VM" noise.
 */
class PartialLoadTest {

    static final Clock TODAY = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);

    @Test
    void aBrokenGroupFileHidesNoOtherErrorAndCausesNoFalseMissingReferences(@TempDir Path tmp) throws IOException {
        Path dir = copy(Path.of("desired-state"), tmp.resolve("state"));
        Path db = dir.resolve("groups/db.yaml");
        Files.writeString(db, Files.readString(db).replace("  egress: none", "  egress: none\n  colour: blue"));
        Path ci = dir.resolve("groups/ci.yaml");
        Files.writeString(ci, Files.readString(ci).replace("ip: 10.30.0.11", "ip: 10.30.0.255"));

        LoadResult result = DesiredStateLoader.loadDirectory(dir, TODAY);

        // db-main, db-replica (web's exceptions) and group db (listed by hv1) are in the broken file: no noise about them
        assertThat(result.diagnostics()).extracting(Diagnostic::toString).containsExactly(
                "groups/ci.yaml:52:11: ip 10.30.0.255 is the broadcast address of subnet 10.30.0.0/24",
                "groups/db.yaml:11:3: unknown field 'colour'",
                "groups/web.yaml:40:18: warning: firewall exception expired on 2025-06-30 and is ignored");
        assertThat(result.ok()).isFalse();
        assertThat(result.state()).isEmpty();
    }

    @Test
    void withEveryFileLoadedAMissingReferenceIsReported(@TempDir Path tmp) throws IOException {
        Path dir = copy(Path.of("desired-state"), tmp.resolve("state"));
        Files.delete(dir.resolve("groups/db.yaml"));

        LoadResult result = DesiredStateLoader.loadDirectory(dir, TODAY);

        assertThat(result.errors()).extracting(Diagnostic::toString).containsExactly(
                "groups/web.yaml:27:13: unknown VM 'db-main'",
                "hosts/hv1.yaml:8:17: unknown group 'db': there is no groups/*.yaml with that name",
                // the invariants of policies/ name them too
                "policies/isolation.yaml:10:7: invariant db-not-from-internet: unknown group 'db'",
                "policies/isolation.yaml:15:7: invariant ci-never-reaches-db: unknown group 'db'",
                "policies/isolation.yaml:34:7: invariant app-reaches-database: unknown VM 'db-main'",
                "policies/isolation.yaml:41:7: invariant few-ways-into-db: unknown group 'db'");
    }

    @Test
    void aWholeDirectoryFindingPrintsWithoutLineAndColumn() {
        Diagnostic d = new Diagnostic(Diagnostic.Severity.ERROR, "groups/", 0, 0, "missing directory");
        assertThat(d).hasToString("groups/: missing directory");
        assertThat(new Diagnostic(Diagnostic.Severity.WARNING, "f.yaml", 3, 4, "m")).hasToString("f.yaml:3:4: warning: m");
    }

    private static Path copy(Path from, Path to) throws IOException {
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
