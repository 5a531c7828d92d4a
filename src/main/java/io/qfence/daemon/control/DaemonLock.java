package io.qfence.daemon.control;

import io.qfence.model.errors.LockHeldException;
import io.qfence.model.errors.LockHeldException.Holder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * One daemon per state directory: {@code stateDir/reconcile.lock}, locked exclusively for the daemon's whole life
 * (the kernel releases it however the daemon ends, {@code kill -9} included). A second daemon fails at once, naming
 * the first. It is a different lock from {@code apply.StateLock}, which the daemon takes only around each cycle, so
 * that {@code qfence apply} can run between cycles (typically while the daemon is suspended) and the two never change
 * the host at the same time.
 */
public final class DaemonLock implements AutoCloseable {

    public static final String FILE_NAME = "reconcile.lock";

    /**
     * The lock files this process holds, with their holders. fcntl locks belong to the process, and closing <em>any</em>
     * descriptor of the file drops them all, so this process never opens a file it holds a second time: it answers
     * from here instead (in-process tests run a daemon and the status command side by side).
     */
    private static final java.util.Map<Path, Holder> HELD_HERE = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DaemonLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** @throws LockHeldException when another daemon holds it */
    public static DaemonLock acquire(Path stateDir, String command) throws IOException {
        Path file = key(stateDir);
        Holder here = HELD_HERE.get(file);
        if (here != null) {
            throw new LockHeldException(file, Optional.of(here));
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new LockHeldException(file, holder(stateDir));
        }
        Holder holder = new Holder(ProcessHandle.current().pid(), command, Instant.now());
        try {
            byte[] content = ("pid=" + holder.pid() + "\ncommand=" + command + "\nsince=" + holder.since() + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            channel.truncate(0);
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer, buffer.position());
            }
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            lock.release();
            channel.close();
            throw e;
        }
        HELD_HERE.put(file, holder);
        return new DaemonLock(file, channel, lock);
    }

    private static Path key(Path stateDir) {
        return stateDir.toAbsolutePath().normalize().resolve(FILE_NAME);
    }

    /**
     * Whether a daemon holds the lock now, and who it says it is. Tests the lock with a shared lock for an instant
     * (the file is never written), so a daemon starting at exactly that instant may fail once and say so.
     */
    public static Optional<Holder> running(Path stateDir) throws IOException {
        Path file = key(stateDir);
        Holder here = HELD_HERE.get(file);
        if (here != null) {
            return Optional.of(here);
        }
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            FileLock probe;
            try {
                probe = channel.tryLock(0, Long.MAX_VALUE, true);
            } catch (OverlappingFileLockException e) {
                probe = null;
            }
            if (probe != null) {
                probe.release();
                return Optional.empty();
            }
        }
        return Optional.of(holder(stateDir).orElse(new Holder(-1, "qfence reconcile", Instant.EPOCH)));
    }

    private static Optional<Holder> holder(Path stateDir) {
        try {
            String text = Files.readString(stateDir.resolve(FILE_NAME), StandardCharsets.UTF_8);
            Long pid = null;
            String command = null;
            Instant since = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("pid=")) {
                    pid = Long.parseLong(line.substring(4));
                } else if (line.startsWith("command=")) {
                    command = line.substring(8);
                } else if (line.startsWith("since=")) {
                    since = Instant.parse(line.substring(6));
                }
            }
            return pid == null || command == null || since == null ? Optional.empty()
                    : Optional.of(new Holder(pid, command, since));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            HELD_HERE.remove(file);
            channel.close();
        }
    }
}
