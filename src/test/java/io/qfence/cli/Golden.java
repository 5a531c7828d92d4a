package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Compares rendered output with a golden file under {@code src/test/resources}. Run with
 * {@code -Dqfence.golden.update=true} to rewrite the files after an intended change, then review the diff.
 */
final class Golden {

    static final Path RESOURCES = Path.of("src/test/resources");

    private Golden() {}

    static void assertMatches(Path golden, String actual) {
        try {
            if (Boolean.getBoolean("qfence.golden.update")) {
                Files.createDirectories(golden.getParent());
                Files.writeString(golden, actual, StandardCharsets.UTF_8);
            }
            assertThat(golden).as("golden file %s", golden).exists();
            assertThat(actual).as("output compared with %s", golden)
                    .isEqualTo(Files.readString(golden, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
