package io.qfence.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one golden-file helper. A mismatch fails the test. Run with {@code -Dqfence.golden.update=true} (the README's
 * property) to write every golden file that differs from the current output; a test that wrote its file still
 * fails, naming it, so that an update is always reviewed in Git before it is committed. A golden file that already
 * matches is left alone and passes.
 */
public final class Golden {

    /** The one property: {@code -Dqfence.golden.update=true}. */
    public static final String UPDATE_PROPERTY = "qfence.golden.update";

    /** Where test resources live; most golden files are under {@code golden/} in it. */
    public static final Path RESOURCES = Path.of("src", "test", "resources");

    private static final Path ROOT = RESOURCES.resolve("golden");

    private Golden() {}

    /** Whether this run writes golden files ({@code -Dqfence.golden.update=true}). */
    public static boolean updating() {
        return Boolean.getBoolean(UPDATE_PROPERTY);
    }

    /** Compares with {@code src/test/resources/golden/RELATIVEPATH}. */
    public static void assertMatches(String relativePath, String actual) {
        assertMatches(ROOT.resolve(relativePath), actual);
    }

    /** Compares with the golden file at {@code file} (relative to the project directory). */
    public static void assertMatches(Path file, String actual) {
        try {
            String expected = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : null;
            if (updating()) {
                if (!actual.equals(expected)) {
                    wrote(file, actual);
                }
                return;
            }
            assertThat(expected).as("golden file %s exists (write it with -D%s=true, then review it)", file, UPDATE_PROPERTY)
                    .isNotNull();
            assertThat(actual).as("output matches golden file %s (update with -D%s=true, then review the diff)", file,
                    UPDATE_PROPERTY).isEqualTo(expected);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code content} to {@code file} and fails naming it. */
    private static void wrote(Path file, String content) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw written(file);
    }

    /**
     * The failure of a test that wrote its golden file while updating: for helpers whose files need a comparison of
     * their own (hex dumps compared byte for byte, their comments aside), which write the file themselves.
     */
    public static AssertionError written(Path file) {
        return new AssertionError("wrote golden file " + file + "; review the diff, then run again without -D" + UPDATE_PROPERTY);
    }
}
