package io.qfence.daemon.control;

import io.qfence.apply.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code qfence suspend}: while {@code stateDir/suspended} exists, the daemon applies nothing and heals nothing; it
 * still fetches, and still observes the host to report drift. A file rather than a request to the daemon, so that it
 * works whether the daemon runs or not, survives restarts, and is visible to anyone who looks.
 *
 * <p>A file that exists but cannot be read still suspends: when in doubt, leave the host alone.
 */
public record Suspension(Instant since, String by, Optional<String> reason) {

    public static final String FILE_NAME = "suspended";

    public Suspension {
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(by, "by");
        Objects.requireNonNull(reason, "reason");
    }

    /** The suspension in force, if any. */
    public static Optional<Suspension> read(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return StateJson.read(file, Suspension.class);
        } catch (IOException e) {
            return Optional.of(new Suspension(Files.getLastModifiedTime(file).toInstant(), "unknown",
                    Optional.of("unreadable " + FILE_NAME + " file (" + e.getMessage() + ")")));
        }
    }

    /** Suspends (replacing an earlier suspension's details). */
    public void write(Path stateDir) throws IOException {
        StateJson.write(stateDir.resolve(FILE_NAME), this);
    }

    /** Resumes; returns whether a suspension was in force. */
    public static boolean remove(Path stateDir) throws IOException {
        boolean removed = Files.deleteIfExists(stateDir.resolve(FILE_NAME));
        if (removed) {
            AtomicFiles.fsyncDirectoryOf(stateDir.resolve(FILE_NAME));
        }
        return removed;
    }

    /** {@code since 2026-06-01T12:00:00Z by alice: maintenance}. */
    public String describe() {
        return "since " + since + " by " + by + reason.map(r -> ": " + r).orElse("");
    }
}
