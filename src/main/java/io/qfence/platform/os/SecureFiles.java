package io.qfence.platform.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Changes owner and mode through a descriptor opened with {@code O_NOFOLLOW}, so that a symlink swapped in after a
 * path was checked cannot redirect a {@code chown} done as root (the classic race that {@code chown(path)} has).
 */
public final class SecureFiles {

    private SecureFiles() {}

    /** For a regular file that is not a symlink: owner {@code uid}:{@code gid}, permission bits {@code mode}. */
    public static void setOwnerAndMode(Path file, long uid, long gid, int mode) {
        apply(file, uid, gid, mode, false);
    }

    /** For a directory that is not a symlink: owner {@code uid}:{@code gid}, permission bits {@code mode}. */
    public static void setDirectoryOwnerAndMode(Path directory, long uid, long gid, int mode) {
        apply(directory, uid, gid, mode, true);
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
