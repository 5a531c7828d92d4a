package io.qfence.apply;

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
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one lock-file implementation behind {@link StateLock} ({@code stateDir/qfence.lock}, around each change of
 * the host) and {@code daemon.control.DaemonLock} ({@code stateDir/reconcile.lock}, one daemon per state directory).
 *
 * <p>An exclusive lock on the file, taken without waiting; the kernel releases it when the holder exits, however it
 * exits, so a crash never leaves it stale. The holder writes who it is, in one format: {@code pid=…},
 * {@code command=…} and {@code since=…} lines (UTF-8), so that whoever finds it locked can say by whom. The file is
 * never deleted: deleting a lock file lets two processes lock two different files.
 *
 * <p>fcntl locks belong to the process, and closing <em>any</em> descriptor of the file drops them all, so this
 * process never opens a file it already holds: it answers from {@link #HELD_HERE} instead (a second owner in the
 * same process is refused naming the first, and a status query in the same process sees the holder). Taking a lock
 * is synchronized, so that two threads of this process cannot both pass that check.
 */
public final class LockFile implements AutoCloseable {

    private static final Map<Path, Holder> HELD_HERE = new ConcurrentHashMap<>();

    private final Path file;
    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;
    private final Holder holder;

    private LockFile(Path file, Path key, FileChannel channel, FileLock lock, Holder holder) {
        this.file = file;
        this.key = key;
        this.channel = channel;
        this.lock = lock;
        this.holder = holder;
    }

    /**
     * Takes the lock on {@code file} without waiting, and writes the holder into it.
     *
     * @param command how the holder names itself in messages, e.g. {@code "qfence apply"}
     * @throws LockHeldException naming {@code file} and the holder, when another process or another owner in this
     *                           process holds it
     */
    public static synchronized LockFile acquire(Path file, String command) throws IOException {
        Objects.requireNonNull(command, "command");
        Path key = key(file);
        Holder here = HELD_HERE.get(key);
        if (here != null) {
            throw new LockHeldException(file, Optional.of(here));
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // a lock on this file taken in this JVM other than through this class
            channel.close();
            throw new LockHeldException(file, Optional.ofNullable(HELD_HERE.get(key)));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new LockHeldException(file, holder(file));
        }
        Holder holder = new Holder(ProcessHandle.current().pid(), command, Instant.now());
        try {
            channel.truncate(0);
            ByteBuffer content = ByteBuffer.wrap(render(holder).getBytes(StandardCharsets.UTF_8));
            while (content.hasRemaining()) {
                channel.write(content, content.position());
            }
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            lock.release();
            channel.close();
            throw e;
        }
        HELD_HERE.put(key, holder);
        return new LockFile(file, key, channel, lock, holder);
    }

    /**
     * Whether a process holds the lock on {@code file} now, and who it says it is (empty in the holder when the file
     * does not say yet). Tests the lock with a shared lock for an instant (the file is never written), so a holder
     * taking it at exactly that instant may fail once and say so.
     */
    public static Optional<Optional<Holder>> held(Path file) throws IOException {
        Holder here = HELD_HERE.get(key(file));
        if (here != null) {
            return Optional.of(Optional.of(here));
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
        return Optional.of(holder(file));
    }

    public Path file() {
        return file;
    }

    public Holder holder() {
        return holder;
    }

    /** Releases the lock; the file stays. */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            HELD_HERE.remove(key);
            channel.close();
        }
    }

    private static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }

    /** Who the file says holds it; empty when it cannot be read or does not say all of it. */
    private static Optional<Holder> holder(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return parse(new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The lock file's content: {@code pid=…}, {@code command=…}, {@code since=…} lines. */
    static String render(Holder holder) {
        return "pid=" + holder.pid() + "\ncommand=" + holder.command() + "\nsince=" + holder.since() + "\n";
    }

    static Optional<Holder> parse(String text) {
        Long pid = null;
        String command = null;
        Instant since = null;
        try {
            for (String line : text.split("\n")) {
                if (line.startsWith("pid=")) {
                    pid = Long.parseLong(line.substring(4));
                } else if (line.startsWith("command=")) {
                    command = line.substring(8);
                } else if (line.startsWith("since=")) {
                    since = Instant.parse(line.substring(6));
                }
            }
        } catch (NumberFormatException | DateTimeParseException e) {
            return Optional.empty();
        }
        return pid == null || command == null || since == null ? Optional.empty()
                : Optional.of(new Holder(pid, command, since));
    }
}
