package io.qfence.daemon.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.qfence.apply.AtomicFiles;
import io.qfence.daemon.git.CommitId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The last revision the daemon applied completely, in {@code stateDir/last-applied}: the starting point of the next
 * signature check and of history-rewrite detection. Written atomically.
 *
 * <p>An operator may seed the file with a bare commit id (one line of 40 hex digits) to start verification at a
 * reviewed revision; such an entry has no time.
 */
public record LastApplied(CommitId revision, Optional<Instant> appliedAt) {

    public static final String FILE_NAME = "last-applied";

    public LastApplied {
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(appliedAt, "appliedAt");
    }

    public static Optional<LastApplied> read(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE_NAME);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            if (text.startsWith("{")) {
                Stored stored = DaemonJson.JSON.readValue(text, Stored.class);
                return Optional.of(new LastApplied(CommitId.of(stored.revision()), Optional.ofNullable(stored.appliedAt())));
            }
            return Optional.of(new LastApplied(CommitId.of(text), Optional.empty()));
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + " holds neither a commit id nor a last-applied record: " + e.getMessage(), e);
        }
    }

    public void write(Path stateDir) throws IOException {
        Stored stored = new Stored(revision.hex(), appliedAt.orElse(null));
        AtomicFiles.write(stateDir.resolve(FILE_NAME),
                (DaemonJson.JSON.writeValueAsString(stored) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private record Stored(String revision, Instant appliedAt) {}
}
