package io.qfence.platform.os;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads and writes kernel pseudo-files (cgroupfs, procfs, sysfs) with plain system calls.
 *
 * <p>Why not {@code java.nio.file.Files}: on these filesystems the kernel validates each {@code write(2)} and answers
 * with an errno ({@code EINVAL} for a value below a minimum, {@code EBUSY} for a memory limit below usage,
 * {@code EOPNOTSUPP}...). NIO turns that into an {@code IOException} whose only trace of the errno is its text, and
 * may split or buffer writes. Here every value is one {@code write(2)}, a missing file is never created, and a
 * failure is an {@link OsException} carrying the path and the errno.
 */
public final class KernelFiles {

    private static final int CHUNK = 8192;
    private static final int O_WRONLY = 1;
    private static final int EINTR = 4;

    private KernelFiles() {}

    /** The whole file as UTF-8 text, exactly as the kernel returns it (trailing newline included). */
    public static String read(Path path) {
        int fd = OsNative.check(OsNative.LIBC.open(path.toString(), OsNative.LibC.O_RDONLY | OsNative.LibC.O_CLOEXEC, 0), "open " + path);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[CHUNK];
            while (true) {
                long n = OsNative.LIBC.read(fd, buf, buf.length);
                if (n < 0) {
                    if (OsNative.errno() == EINTR) {
                        continue;
                    }
                    OsNative.check(-1, "read " + path);
                }
                if (n == 0) {
                    return out.toString(StandardCharsets.UTF_8);
                }
                out.write(buf, 0, (int) n);
            }
        } finally {
            OsNative.LIBC.close(fd);
        }
    }

    /**
     * Writes {@code value} to an existing file in one {@code write(2)}. The file is opened without {@code O_CREAT}:
     * on cgroupfs a missing file means an unsupported interface, which the caller must learn as {@code ENOENT}.
     */
    public static void write(Path path, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        int fd = OsNative.check(OsNative.LIBC.open(path.toString(), O_WRONLY | OsNative.LibC.O_CLOEXEC, 0), "open " + path);
        try {
            long n;
            do {
                n = OsNative.LIBC.write(fd, bytes, bytes.length);
            } while (n < 0 && OsNative.errno() == EINTR);
            if (n < 0) {
                OsNative.check(-1, "write '" + value.strip() + "' to " + path);
            }
            if (n != bytes.length) {
                // cgroupfs consumes a value whole or not at all; a short write means the kernel took part of it
                throw new OsException("write '" + value.strip() + "' to " + path, 0, "short write: " + n + " of " + bytes.length + " bytes");
            }
        } finally {
            OsNative.LIBC.close(fd);
        }
    }

    /** {@code mkdir(2)}: on cgroupfs this creates a cgroup; {@code EEXIST} when it already exists. */
    public static void mkdir(Path path, int mode) {
        OsNative.check(OsNative.LIBC.mkdir(path.toString(), mode), "mkdir " + path);
    }

    // struct dirent (glibc, 64-bit): d_ino u64, d_off s64, d_reclen u16, d_type u8, then d_name
    private static final int DIRENT_TYPE = 18;
    private static final int DIRENT_NAME = 19;
    private static final int DT_UNKNOWN = 0;
    private static final int DT_DIR = 4;

    /**
     * The names of the subdirectories of {@code dir}, sorted, from the directory entries' own types. Why not
     * {@code Files.list} and {@code isDirectory}: that costs a {@code stat(2)} per entry, and a cgroup directory holds
     * some thirty control files per subdirectory (observing 1200 cgroups in four v1 hierarchies took 150,000 stats,
     * over 95% of observing the host). An entry whose type the file system does not report is stat'ed.
     */
    public static java.util.List<String> subdirectories(Path dir) {
        jnr.ffi.Pointer stream = OsNative.LIBC.opendir(dir.toString());
        if (stream == null) {
            OsNative.check(-1, "opendir " + dir);
        }
        java.util.List<String> names = new java.util.ArrayList<>();
        try {
            while (true) {
                // null is the end (readdir's only error, EBADF, cannot happen on a stream opendir gave us)
                jnr.ffi.Pointer entry = OsNative.LIBC.readdir(stream);
                if (entry == null) {
                    break;
                }
                String name = entry.getString(DIRENT_NAME, 256, StandardCharsets.UTF_8);
                if (name.equals(".") || name.equals("..")) {
                    continue;
                }
                int type = entry.getByte(DIRENT_TYPE) & 0xff;
                if (type == DT_DIR || (type == DT_UNKNOWN && java.nio.file.Files.isDirectory(dir.resolve(name),
                        java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
                    names.add(name);
                }
            }
        } finally {
            OsNative.LIBC.closedir(stream);
        }
        names.sort(null);
        return names;
    }

    /** {@code rmdir(2)}: on cgroupfs this removes an empty cgroup; {@code EBUSY} while it has processes or children. */
    public static void rmdir(Path path) {
        OsNative.check(OsNative.LIBC.rmdir(path.toString()), "rmdir " + path);
    }
}
