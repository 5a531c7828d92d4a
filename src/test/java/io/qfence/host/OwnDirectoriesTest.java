package io.qfence.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** qfence's own directories: the directory gets its role's mode, the missing ones above it 0755, existing ones are untouched. */
class OwnDirectoriesTest {

    @TempDir
    Path tmp;

    static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void theDirectoryGetsItsModeAndEachMissingDirectoryAboveItIsPassable() throws Exception {
        Path state = tmp.resolve("a/b/state");

        OwnDirectories.create(state, PosixFilePermissions.fromString("rwx------"));

        assertThat(mode(state)).isEqualTo("rwx------");
        assertThat(mode(tmp.resolve("a/b"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(tmp.resolve("a"))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void existingDirectoriesKeepTheirModes() throws Exception {
        Path closed = Files.createDirectory(tmp.resolve("closed"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Path existing = Files.createDirectory(closed.resolve("run"));
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rwxr-x---"));

        OwnDirectories.create(existing, PosixFilePermissions.fromString("rwxr-xr-x"));
        OwnDirectories.create(closed.resolve("state"), PosixFilePermissions.fromString("rwx------"));

        assertThat(mode(closed)).isEqualTo("rwx------");
        assertThat(mode(existing)).isEqualTo("rwxr-x---");
        assertThat(mode(closed.resolve("state"))).isEqualTo("rwx------");
    }
}
