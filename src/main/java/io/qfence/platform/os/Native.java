package io.qfence.platform.os;

import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;
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

    String strerror(int errnum);

    // --- netlink sockets (NetlinkSocket). Kept in one block so that other bindings merge beside it.

    int AF_NETLINK = 16;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int SOL_SOCKET = 1;
    int SO_SNDBUF = 7;
    int SO_RCVBUF = 8;
    int SO_RCVTIMEO = 20;
    int SO_SNDBUFFORCE = 32;
    int SO_RCVBUFFORCE = 33;
    int SOL_NETLINK = 270;
    int NETLINK_CAP_ACK = 10;
    int NETLINK_EXT_ACK = 11;
    int NETLINK_GET_STRICT_CHK = 12;
    int MSG_TRUNC = 0x20;
    int EINTR = 4;
    int EAGAIN = 11;

    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int bind(int fd, @In byte[] address, int addressLength);

    @SaveError
    int getsockname(int fd, @Out byte[] address, IntByReference addressLength);

    @SaveError
    int setsockopt(int fd, int level, int option, @In byte[] value, int valueLength);

    @SaveError
    @ssize_t long send(int fd, @In ByteBuffer buffer, @size_t long length, int flags);

    @SaveError
    @ssize_t long recv(int fd, @Out ByteBuffer buffer, @size_t long length, int flags);

    // --- end of netlink sockets
}
}
