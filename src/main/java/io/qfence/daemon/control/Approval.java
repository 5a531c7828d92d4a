package io.qfence.daemon.control;

import io.qfence.apply.AtomicFiles;
import io.qfence.daemon.git.CommitId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code qfence approve REV}: an operator's permission to apply exactly one commit that widens access (under
 * {@code --auto-apply=narrowing}) or any commit (under {@code --auto-apply=none}). One file per approved commit,
 * {@code stateDir/approvals/<full commit id>}, written atomically: an approval names a commit id, never a branch, so
 * a later push does not inherit it.
 */
public record Approval(CommitId revision, Instant approvedAt, String by) {

    public static final String DIRECTORY = "approvals";

    public Approval {
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(approvedAt, "approvedAt");
        Objects.requireNonNull(by, "by");
    }

    public void write(Path stateDir) throws IOException {
        Path dir = stateDir.resolve(DIRECTORY);
        Files.createDirectories(dir);
        StateJson.write(dir.resolve(revision.hex()), new Stored(approvedAt, by));
    }

    /** The approval of exactly {@code revision}, if one was given. */
    public static Optional<Approval> read(Path stateDir, CommitId revision) throws IOException {
        return StateJson.read(stateDir.resolve(DIRECTORY).resolve(revision.hex()), Stored.class)
                .map(s -> new Approval(revision, s.approvedAt(), s.by()));
    }

    /** Removes the approval of {@code revision} (once applied it is no longer needed); returns whether it existed. */
    public static boolean remove(Path stateDir, CommitId revision) throws IOException {
        Path file = stateDir.resolve(DIRECTORY).resolve(revision.hex());
        boolean removed = Files.deleteIfExists(file);
        if (removed) {
            AtomicFiles.fsyncDirectoryOf(file);
        }
        return removed;
    }

    private record Stored(Instant approvedAt, String by) {}
}
