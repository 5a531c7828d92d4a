package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
