package io.qfence.platform.os;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc functions qfence calls directly. The holder class is package-private: the rest of the code sees only the
 * typed wrappers of this package, which turn {@code ret < 0} into {@link OsException} with the errno and the
 * operation. (The nested interface itself must be public at the JVM level, because jnr-ffi implements it from its
 * own class loader.)
 */
final class Native {

    private Native() {}

    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    static int errno() {
        return Runtime.getRuntime(LIBC).getLastError();
    }

    /** Checks a libc return value: negative means failure, reported with errno and the operation. */
    static int check(int ret, String operation) {
        if (ret < 0) {
            int errno = errno();
            throw new OsException(operation, errno, LIBC.strerror(errno));
        }
        return ret;
    }

public interface LibC {

    int CLONE_NEWNET = 0x40000000;
    int O_RDONLY = 0;
    int O_CLOEXEC = 0x80000;
    int O_CREAT = 0x40;
    int O_EXCL = 0x80;
    long MS_BIND = 4096;
    long MS_REC = 16384;
    long MS_SHARED = 1 << 20;
    int MNT_DETACH = 2;
    int EINVAL = 22;

    @SaveError
    int unshare(int flags);

    @SaveError
    int setns(int fd, int nstype);

    @SaveError
    int mount(String source, String target, String filesystemtype, long mountflags, Pointer data);

    @SaveError
    int umount2(String target, int flags);

    @SaveError
    int open(String path, int flags, int mode);

    @SaveError
    int close(int fd);

    @SaveError
    int unlink(String path);

    // --- pseudo-filesystems (KernelFiles): one syscall per operation, so the kernel's errno reaches the caller intact.
    // Its constants live in KernelFiles, so that this block merges beside others that define the same ones.

    @SaveError
    @ssize_t
    long read(int fd, @Out byte[] buf, @size_t long count);

    @SaveError
    @ssize_t
    long write(int fd, @In byte[] buf, @size_t long count);

    @SaveError
    int mkdir(String path, @mode_t int mode);

    @SaveError
    int rmdir(String path);

    // --- end of pseudo-filesystems

    String strerror(int errnum);

}
}
