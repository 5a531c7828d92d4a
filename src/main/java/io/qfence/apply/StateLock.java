package io.qfence.apply;

import io.qfence.model.errors.LockHeldException;
import io.qfence.model.errors.LockHeldException.Holder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;

/**
 * The one lock that makes the daemon and {@code qfence apply} exclude each other: an exclusive lock on
 * {@code stateDir/qfence.lock}. The kernel releases it when the holder exits, however it exits, so a crash never
 * leaves it stale. The holder writes its pid, command and start time into the file so that whoever finds it locked
 * can say by whom.
 *
 * <p>The file itself is never deleted: deleting a lock file lets two processes lock two different files.
 *
 * <p>It lives in {@code apply} because applying is what it protects, and both the CLI's {@code apply} and the
 * daemon may depend on {@code apply}, while {@code apply} may depend on neither.
 */
public final class StateLock implements AutoCloseable {

    public static final String FILE_NAME = "qfence.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final Holder holder;

    private StateLock(Path file, FileChannel channel, FileLock lock, Holder holder) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.holder = holder;
    }

    /**
     * Takes the lock without waiting.
     *
     * @param command how the holder names itself in messages, e.g. {@code "qfence daemon"} or {@code "qfence apply"}
     * @throws LockHeldException when another process, or another owner in this process, holds it
     */
    public static StateLock acquire(Path stateDir, String command) throws IOException {
        Objects.requireNonNull(command, "command");
        Path file = stateDir.resolve(FILE_NAME);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // locks are per process: another owner in this JVM holds it
            Optional<Holder> holder = readHolder(channel);
            channel.close();
            throw new LockHeldException(file, holder);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            Optional<Holder> holder = readHolder(channel);
            channel.close();
            throw new LockHeldException(file, holder);
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
        return new StateLock(file, channel, lock, holder);
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
            channel.close();
        }
    }

    private static Optional<Holder> readHolder(FileChannel channel) {
        try {
            long size = Math.min(channel.size(), 4096);
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
                // read until full or end of file
            }
            return parse(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
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
