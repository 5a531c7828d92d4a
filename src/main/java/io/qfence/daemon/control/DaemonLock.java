package io.qfence.daemon.control;

import io.qfence.apply.LockFile;
import io.qfence.model.errors.LockHeldException;
import io.qfence.model.errors.LockHeldException.Holder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * One daemon per state directory: {@code stateDir/reconcile.lock}, a {@link LockFile} (same format and
 * implementation as {@code apply.StateLock}) held for the daemon's whole life (the kernel releases it however the
 * daemon ends, {@code kill -9} included). A second daemon fails at once, naming the first. It is a different lock from
 * {@code apply.StateLock}, which the daemon takes only around each cycle, so that {@code qfence apply} can run between
 * cycles (typically while the daemon is suspended) and the two never change the host at the same time.
 */
public final class DaemonLock implements AutoCloseable {

    public static final String FILE_NAME = "reconcile.lock";

    private final LockFile lock;

    private DaemonLock(LockFile lock) {
        this.lock = lock;
    }

    /** @throws LockHeldException when another daemon holds it */
    public static DaemonLock acquire(Path stateDir, String command) throws IOException {
        return new DaemonLock(LockFile.acquire(file(stateDir), command));
    }

    /**
     * Whether a daemon holds the lock now, and who it says it is (a holder with pid -1 when the file does not say
     * yet). Tests the lock with a shared lock for an instant (the file is never written), so a daemon starting at
     * exactly that instant may fail once and say so.
     */
    public static Optional<Holder> running(Path stateDir) throws IOException {
        return LockFile.held(file(stateDir))
                .map(holder -> holder.orElse(new Holder(-1, "qfence reconcile", Instant.EPOCH)));
    }

    private static Path file(Path stateDir) {
        return stateDir.toAbsolutePath().normalize().resolve(FILE_NAME);
    }

    @Override
    public void close() throws IOException {
        lock.close();
    }
}
