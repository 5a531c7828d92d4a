package io.qfence.model.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a person reads when a file operation fails: words, never the JDK's exception class names. */
class IoMessagesTest {

    @TempDir
    Path tmp;

    @Test
    void aMissingFileIsSaidInWords() {
        IOException e = catching(() -> Files.readString(tmp.resolve("absent")));

        assertThat(IoMessages.describe(e)).isEqualTo(tmp.resolve("absent") + ": does not exist");
        assertThat(e.toString()).as("what was shown before").startsWith("java.nio.file.NoSuchFileException");
    }

    @Test
    void aFileThatIsNotADirectoryGetsTheKernelsReasonWithoutAClassName() throws IOException {
        Files.writeString(tmp.resolve("file"), "");
        IOException e = catching(() -> Files.createDirectory(tmp.resolve("file/sub")));

        assertThat(IoMessages.describe(e)).startsWith(tmp.resolve("file/sub") + ": ").doesNotContain("java.", "Exception");
    }

    @Test
    void eachKindHasItsWordsAndAnythingElseItsMessage() {
        assertThat(IoMessages.describe(new AccessDeniedException("/x"))).isEqualTo("/x: permission denied");
        assertThat(IoMessages.describe(new NoSuchFileException("/run/qfence"))).isEqualTo("/run/qfence: does not exist");
        assertThat(IoMessages.describe(new IOException("Broken pipe"))).isEqualTo("Broken pipe");
        assertThat(IoMessages.describe(new UncheckedIOException("java.nio.file.NoSuchFileException: /y", new NoSuchFileException("/y"))))
                .isEqualTo("/y: does not exist");
        assertThat(IoMessages.describe(new IllegalStateException())).isEqualTo("unexpected IllegalStateException");
    }

    @Test
    void theReasonAloneIsForAMessageThatAlreadyNamesTheFile() {
        // before: "cannot read the snapshot /nonexistent: /nonexistent" (the bare path of NoSuchFileException's message)
        assertThat(IoMessages.reason(new NoSuchFileException("/nonexistent"))).isEqualTo("does not exist");
        assertThat(IoMessages.reason(new AccessDeniedException("/x"))).isEqualTo("permission denied");
        assertThat(IoMessages.reason(new IOException("Is a directory"))).isEqualTo("is a directory");
        assertThat(IoMessages.reason(new IOException("EOF"))).isEqualTo("EOF");
    }

    private interface Io {
        void run() throws IOException;
    }

    private static IOException catching(Io io) {
        try {
            io.run();
        } catch (IOException e) {
            return e;
        }
        throw new AssertionError("no failure");
    }
}
