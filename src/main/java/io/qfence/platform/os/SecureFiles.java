package io.qfence.platform.os;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Changes owner and mode through a descriptor opened with {@code O_NOFOLLOW}, so that a symlink swapped in after a
 * path was checked cannot redirect a {@code chown} done as root (the classic race that {@code chown(path)} has); and
 * reads a file another uid may replace the same way ({@link #openRegularForReading}).
 */
public final class SecureFiles {

    private static final int ENOENT = 2;
    private static final int ENXIO = 6;
    private static final int ELOOP = 40;

    private SecureFiles() {}

    /** For a regular file that is not a symlink: owner {@code uid}:{@code gid}, permission bits {@code mode}. */
    public static void setOwnerAndMode(Path file, long uid, long gid, int mode) {
        apply(file, uid, gid, mode, false);
    }

    /** For a directory that is not a symlink: owner {@code uid}:{@code gid}, permission bits {@code mode}. */
    public static void setDirectoryOwnerAndMode(Path directory, long uid, long gid, int mode) {
        apply(directory, uid, gid, mode, true);
    }

    /**
     * A read-only channel on {@code file} when it is a regular file that is not a symlink; empty when it is absent, a
     * symlink, or anything else (a FIFO, a socket, a device, a directory).
     *
     * <p>For files in directories another uid owns (a guest's run directory: its {@code serial.log}). Checking the type
     * and then opening the path is a race: the owner can put a FIFO there in between, and a plain open of a FIFO blocks
     * until some process opens it for writing, which the owner need never do ({@code apply --wait-ready} and
     * {@code state} would hang). So the path is opened once, {@code O_NOFOLLOW|O_NONBLOCK} (a FIFO opens at once and a
     * symlink fails), the type is checked on that descriptor, and the channel is opened through the descriptor's
     * {@code /proc/self/fd} link, which names the inode just checked whatever the path names now. On a regular file
     * {@code O_NONBLOCK} changes nothing, and the channel starts at offset 0: nothing written so far is skipped.
     */
    public static Optional<FileChannel> openRegularForReading(Path file) throws IOException {
        int flags = OsNative.LibC.O_RDONLY | OsNative.LibC.O_NOFOLLOW | OsNative.LibC.O_NONBLOCK | OsNative.LibC.O_CLOEXEC;
        int fd = OsNative.LIBC.open(file.toString(), flags, 0);
        if (fd < 0) {
            int errno = OsNative.errno();
            if (errno == ENOENT || errno == ELOOP || errno == ENXIO) {
                return Optional.empty(); // absent, a symlink, or a socket/device that cannot be opened this way
            }
            throw new IOException("open " + file + " (no symlinks): " + OsNative.LIBC.strerror(errno) + " (errno " + errno + ")");
        }
        try {
            Path self = Path.of("/proc/self/fd/" + fd);
            if (!Files.readAttributes(self, BasicFileAttributes.class).isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(FileChannel.open(self, StandardOpenOption.READ));
        } finally {
            OsNative.LIBC.close(fd);
        }
    }

    private static void apply(Path path, long uid, long gid, int mode, boolean directory) {
        if ((mode & ~07777) != 0) {
            throw new IllegalArgumentException("mode must be within 07777, got 0" + Integer.toOctalString(mode));
        }
        int flags = OsNative.LibC.O_RDONLY | OsNative.LibC.O_NOFOLLOW | OsNative.LibC.O_NONBLOCK | OsNative.LibC.O_CLOEXEC
                | (directory ? OsNative.LibC.O_DIRECTORY : 0);
        int fd = OsNative.check(OsNative.LIBC.open(path.toString(), flags, 0), "open " + path + " (no symlinks)");
        try {
            BasicFileAttributes attributes = Files.readAttributes(Path.of("/proc/self/fd/" + fd), BasicFileAttributes.class);
            if (directory ? !attributes.isDirectory() : !attributes.isRegularFile()) {
                throw new OsException("check " + path, 22, "not a " + (directory ? "directory" : "regular file"));
            }
            OsNative.check(OsNative.LIBC.fchown(fd, (int) uid, (int) gid), "fchown " + path + " to " + uid + ":" + gid);
            OsNative.check(OsNative.LIBC.fchmod(fd, mode), "fchmod " + path + " to 0" + Integer.toOctalString(mode));
        } catch (IOException e) {
            throw new OsException("stat " + path, 5, io.qfence.model.errors.IoMessages.describe(e));
        } finally {
            OsNative.LIBC.close(fd);
        }
    }
}
