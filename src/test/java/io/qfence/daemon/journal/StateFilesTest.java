package io.qfence.daemon.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.daemon.git.CommitId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFilesTest {

    @TempDir
    Path dir;

    @Test
    void theLastAppliedRevisionRoundTrips() throws Exception {
        LastApplied applied = new LastApplied(CommitId.of("0123456789abcdef0123456789abcdef01234567"),
                Optional.of(Instant.parse("2024-05-01T12:00:00Z")));

        applied.write(dir);

        assertThat(dir.resolve(LastApplied.FILE_NAME)).hasContent(
                "{\"revision\":\"0123456789abcdef0123456789abcdef01234567\",\"appliedAt\":\"2024-05-01T12:00:00Z\"}");
        assertThat(LastApplied.read(dir)).contains(applied);
    }

    @Test
    void anOperatorMaySeedTheLastAppliedRevisionWithABareCommitId() throws Exception {
        Files.writeString(dir.resolve(LastApplied.FILE_NAME), "0123456789abcdef0123456789abcdef01234567\n");

        assertThat(LastApplied.read(dir)).contains(
                new LastApplied(CommitId.of("0123456789abcdef0123456789abcdef01234567"), Optional.empty()));
    }

    @Test
    void noFileMeansNothingWasAppliedAndGarbageIsAnError() throws Exception {
        assertThat(LastApplied.read(dir)).isEmpty();
        Files.writeString(dir.resolve(LastApplied.FILE_NAME), "main\n");
        assertThatThrownBy(() -> LastApplied.read(dir))
                .hasMessageStartingWith(dir.resolve(LastApplied.FILE_NAME)
                        + " holds neither a commit id nor a last-applied record");
    }
}
