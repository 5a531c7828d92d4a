package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.BothCgroupLayouts;
import io.qfence.testing.CgroupHost;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelFilesTest {

    @TempDir
    Path dir;

    @Test
    void writeReplacesTheContentOfAnExistingFileAndReadReturnsItVerbatim() throws Exception {
        Path file = dir.resolve("memory.max");
        Files.writeString(file, "max\n");
        KernelFiles.write(file, "1048576");
        assertThat(KernelFiles.read(file)).isEqualTo("1048576");
    }

    @Test
    void writingAMissingFileFailsWithEnoentAndCreatesNothing() {
        Path file = dir.resolve("blkio.weight");
        assertThatThrownBy(() -> KernelFiles.write(file, "100"))
                .isInstanceOfSatisfying(OsException.class, e -> {
                    assertThat(e.errno()).isEqualTo(2);
                    assertThat(e.operation()).isEqualTo("open " + file);
                });
        assertThat(file).doesNotExist();
    }

    @Test
    void readsFilesLargerThanOneChunk() throws Exception {
        Path file = dir.resolve("big");
        String content = "x".repeat(20_000) + "\n";
        Files.writeString(file, content);
        assertThat(KernelFiles.read(file)).isEqualTo(content);
    }

    @Test
    void rmdirOfANonEmptyDirectoryFailsWithItsErrnoAndMkdirOfAnExistingOneWithEexist() throws Exception {
        Path sub = dir.resolve("group");
        KernelFiles.mkdir(sub, 0755);
        Files.writeString(sub.resolve("f"), "");
        assertThatThrownBy(() -> KernelFiles.mkdir(sub, 0755))
                .isInstanceOfSatisfying(OsException.class, e -> assertThat(e.errno()).isEqualTo(17));
        assertThatThrownBy(() -> KernelFiles.rmdir(sub))
                .isInstanceOfSatisfying(OsException.class, e -> {
                    assertThat(e.errno()).isEqualTo(39);
                    assertThat(e).hasMessageContaining("rmdir " + sub);
                });
        Files.delete(sub.resolve("f"));
        KernelFiles.rmdir(sub);
        assertThat(sub).doesNotExist();
    }

    @Test
    void subdirectoriesAreTheDirectoryEntriesThatAreDirectoriesSortedByName() throws Exception {
        Files.createDirectory(dir.resolve("web"));
        Files.createDirectory(dir.resolve("db.slice"));
        Files.createDirectory(dir.resolve("a"));
        Files.writeString(dir.resolve("cpu.shares"), "1024\n");
        Files.writeString(dir.resolve("tasks"), "");
        Files.createSymbolicLink(dir.resolve("link-to-web"), dir.resolve("web"));

        assertThat(KernelFiles.subdirectories(dir)).containsExactly("a", "db.slice", "web");
    }

    @Test
    void subdirectoriesOfAMissingDirectoryFailWithEnoent() {
        assertThatThrownBy(() -> KernelFiles.subdirectories(dir.resolve("gone")))
                .isInstanceOfSatisfying(OsException.class, e -> {
                    assertThat(e.errno()).isEqualTo(2);
                    assertThat(e.operation()).isEqualTo("opendir " + dir.resolve("gone"));
                });
    }

    /** A cgroup directory holds files and child cgroups; on v2 the root itself, on v1 the memory hierarchy's root. */
    @Test
    @BothCgroupLayouts
    void subdirectoriesOfARealCgroupAreItsChildCgroupsOnly() throws Exception {
        Path memory = CgroupHost.dir("memory", "");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(memory), "needs root (to make cgroups in " + memory + ")");
        Path parent = memory.resolve("qfence-test-" + java.util.UUID.randomUUID().toString().substring(0, 8));
        KernelFiles.mkdir(parent, 0755);
        try {
            KernelFiles.mkdir(parent.resolve("web"), 0755);
            KernelFiles.mkdir(parent.resolve("db"), 0755);
            assertThat(KernelFiles.subdirectories(parent)).containsExactly("db", "web");
        } finally {
            for (String child : new String[] {"web", "db"}) {
                if (Files.isDirectory(parent.resolve(child))) {
                    KernelFiles.rmdir(parent.resolve(child));
                }
            }
            KernelFiles.rmdir(parent);
        }
    }
}
