package io.qfence.model.errors;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Another qfence process (the daemon, or a {@code qfence apply}) holds the state lock ({@code io.qfence.apply.StateLock}).
 * Nothing was changed. The CLI exits 1; the daemon skips the cycle.
 */
public final class LockHeldException extends QfenceException {

    private final Path lockFile;
    private final transient Optional<Holder> holder;

    public LockHeldException(Path lockFile, Optional<Holder> holder) {
        super(lockFile + " is locked by " + holder.map(Holder::toString)
                .orElse("another process (it has not said who yet)") + "; nothing was changed");
        this.lockFile = lockFile;
        this.holder = holder;
    }

    public Path lockFile() {
        return lockFile;
    }

    /** Who holds the lock, as it wrote into the lock file. */
    public Optional<Holder> holder() {
        return holder;
    }

    /** A lock holder: its pid, how it names itself ({@code qfence apply}, {@code qfence daemon}) and since when. */
    public record Holder(long pid, String command, Instant since) {

        public Holder {
            Objects.requireNonNull(command, "command");
            Objects.requireNonNull(since, "since");
        }

        /** {@code pid 1234 (qfence apply) since 2024-05-01T12:00:00Z}. */
        @Override
        public String toString() {
            return "pid " + pid + " (" + command + ") since " + since;
        }
    }
}
