package io.qfence.platform.os;

import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc functions qfence calls directly. The holder class is package-private: the rest of the code sees only the
 * typed wrappers of this package, which turn {@code ret < 0} into {@link OsException} with the errno and the
 * operation. (The nested interface itself must be public at the JVM level, because jnr-ffi implements it from its
 * own class loader.)
 */
final class OsNative {

    private OsNative() {}

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

    /** Checks a return value that is itself an error number (0 = success), as posix_spawn and its helpers return. */
    static int checkReturned(int ret, String operation) {
        if (ret != 0) {
            throw new OsException(operation, ret, LIBC.strerror(ret));
        }
        return ret;
    }

    static jnr.ffi.Runtime runtime() {
        return Runtime.getRuntime(LIBC);
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

    // --- the guest jail (Jail): namespaces, mounts and the root switch
    int CLONE_NEWNS = 0x20000;
    int CLONE_NEWUTS = 0x04000000;
    int CLONE_NEWIPC = 0x08000000;
    int CLONE_NEWPID = 0x20000000;
    long MS_RDONLY = 1;
    long MS_NOSUID = 2;
    long MS_NODEV = 4;
    long MS_NOEXEC = 8;
    long MS_REMOUNT = 32;
    long MS_PRIVATE = 1 << 18;
    int O_PATH = 0x200000;
    long SYS_PIVOT_ROOT = 155; // x86_64; glibc has no wrapper

    @SaveError
    long syscall(long number, String first, String second);

    @SaveError
    int chdir(String path);

    @SaveError
    int pipe2(@Out int[] fds, int flags);

    /** Creates a file without opening it (a jail's bind-mount targets: see {@code Jail.build}). */
    @SaveError
    int mknod(String path, @mode_t int mode, long dev);
    int S_IFREG = 0100000;
    // --- end of the guest jail

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

    /** A {@code DIR *}, or null with errno set. */
    @SaveError
    Pointer opendir(String path);

    /** The next {@code struct dirent}, or null at the end. */
    Pointer readdir(Pointer dir);

    int closedir(Pointer dir);

    // --- end of pseudo-filesystems

    // --- tun, spawn and signals
    // Functions returning an error number directly (posix_spawn*) are checked with checkReturned, not check.

    int O_RDWR = 2;
    int O_WRONLY = 1;
    int O_APPEND = 0x400;
    int O_NONBLOCK = 0x800;
    int O_NOFOLLOW = 0x20000;
    int O_DIRECTORY = 0x10000;
    int F_GETFD = 1;
    int FD_CLOEXEC = 1;
    int WNOHANG = 1;
    int EINTR = 4;
    int ESRCH = 3;
    int POLLIN = 1;
    short POSIX_SPAWN_SETSIGDEF = 0x04;
    short POSIX_SPAWN_SETSIGMASK = 0x08;
    short POSIX_SPAWN_SETSID = 0x80;
    /** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on x86_64; these leave room. */
    int SPAWN_STRUCT_BYTES = 512;
    /** glibc's sigset_t: 1024 bits. */
    int SIGSET_BYTES = 128;

    @SaveError
    int ioctl(int fd, long request, Pointer arg);

    @SaveError
    int ioctl(int fd, long request, long arg);

    @SaveError
    int fcntl(int fd, int cmd, int arg);

    @SaveError
    int fchown(int fd, int owner, int group);

    @SaveError
    int fchmod(int fd, int mode);

    int getpid();

    @SaveError
    int kill(int pid, int sig);

    @SaveError
    int waitpid(int pid, Pointer status, int options);

    @SaveError
    int pidfd_open(int pid, int flags);

    @SaveError
    int pidfd_send_signal(int pidfd, int sig, Pointer info, int flags);

    @SaveError
    int poll(Pointer fds, long nfds, int timeoutMillis);

    int posix_spawn(Pointer pid, String path, Pointer fileActions, Pointer attributes, Pointer argv, Pointer envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, String path, int flags, int mode);

    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int lowFd);

    int posix_spawnattr_init(Pointer attributes);

    int posix_spawnattr_destroy(Pointer attributes);

    int posix_spawnattr_setflags(Pointer attributes, short flags);

    int posix_spawnattr_setsigmask(Pointer attributes, Pointer sigmask);

    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer sigdefault);

    int sigemptyset(Pointer set);

    int sigfillset(Pointer set);

    // --- end of tun, spawn and signals

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
