package io.qfence.apply;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Another qfence process (the daemon, or a {@code qfence apply}) holds the state lock. Nothing was changed.
 *
 * <p>Unchecked, like the rest of qfence's user-facing failures: the CLI reports it and exits 1; the daemon skips
 * the cycle.
 */
public final class LockHeldException extends RuntimeException {

    private final Path lockFile;
    private final transient Optional<StateLock.Holder> holder;

    public LockHeldException(Path lockFile, Optional<StateLock.Holder> holder) {
        super(lockFile + " is locked by " + holder.map(StateLock.Holder::toString)
                .orElse("another process (it has not said who yet)") + "; nothing was changed");
        this.lockFile = lockFile;
        this.holder = holder;
    }

    public Path lockFile() {
        return lockFile;
    }

    /** Who holds the lock, as it wrote into the lock file. */
    public Optional<StateLock.Holder> holder() {
        return holder;
    }
}
