package io.qfence.apply;

import io.qfence.model.errors.LockHeldException;
import io.qfence.model.errors.LockHeldException.Holder;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The one lock that makes the daemon and {@code qfence apply} exclude each other: {@code stateDir/qfence.lock}, a
 * {@link LockFile} (its format and behaviour are there: released by the kernel however the holder exits, the holder
 * written into it, the file never deleted).
 *
 * <p>It lives in {@code apply} because applying is what it protects, and both the CLI's {@code apply} and the
 * daemon may depend on {@code apply}, while {@code apply} may depend on neither.
 */
public final class StateLock implements AutoCloseable {

    public static final String FILE_NAME = "qfence.lock";

    private final LockFile lock;

    private StateLock(LockFile lock) {
        this.lock = lock;
    }

    /**
     * Takes the lock without waiting.
     *
     * @param command how the holder names itself in messages, e.g. {@code "qfence daemon"} or {@code "qfence apply"}
     * @throws LockHeldException when another process, or another owner in this process, holds it
     */
    public static StateLock acquire(Path stateDir, String command) throws IOException {
        return new StateLock(LockFile.acquire(stateDir.resolve(FILE_NAME), command));
    }

    public Path file() {
        return lock.file();
    }

    public Holder holder() {
        return lock.holder();
    }

    /** Releases the lock; the file stays. */
    @Override
    public void close() throws IOException {
        lock.close();
    }
}
