package io.qfence.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void anAtomicWriteReplacesTheContentAndLeavesNoTemporaryFile() throws Exception {
        Path target = dir.resolve("last-applied");
        AtomicFiles.write(target, "one\n".getBytes());
        AtomicFiles.write(target, "two\n".getBytes());

        assertThat(target).hasContent("two");
        try (Stream<Path> entries = Files.list(dir)) {
            assertThat(entries).containsExactly(target);
        }
    }

    @Test
    void aFailedAtomicWriteKeepsWhatWasThereAndCleansUp() throws Exception {
        Path target = Files.createDirectory(dir.resolve("occupied"));
        Files.writeString(target.resolve("inside"), "keep me");

        assertThatThrownBy(() -> AtomicFiles.write(target, "new".getBytes())).isInstanceOf(java.io.IOException.class);

        assertThat(target.resolve("inside")).hasContent("keep me");
        try (Stream<Path> entries = Files.list(dir)) {
            assertThat(entries).containsExactly(target);
        }
    }
}
