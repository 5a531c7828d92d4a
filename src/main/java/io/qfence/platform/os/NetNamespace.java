package io.qfence.platform.os;

import io.qfence.model.errors.HostPortException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace and a dedicated thread that lives inside it.
 *
 * <p>A <em>named</em> namespace is kept alive by a bind mount the way iproute2 does it ({@code ip netns add}), so it
 * outlives this object and {@code ip netns} sees it. A <em>throwaway</em> namespace ({@link #createThrowaway}) is held
 * only by its thread: nothing on disk names it, and the kernel frees it when the thread ends, even if the JVM dies.
 *
 * <p>Everything that must happen "in" the namespace (opening a netlink or libnftables socket, creating a tap, reading
 * its {@code /proc/sys/net} sysctls) is submitted to that thread with {@link #call}; sockets opened there stay bound
 * to the namespace wherever they are used afterwards. Why a dedicated thread: {@code setns(CLONE_NEWNET)} changes
 * only the calling thread, and a JVM pool thread that had switched namespace would silently carry it into unrelated
 * work.
 *
 * <p>The object also holds an open descriptor of the namespace ({@link #descriptor()}), which the kernel accepts
 * wherever it wants "a namespace", e.g. to create a veth peer directly inside it ({@code IFLA_NET_NS_FD}).
 */
public final class NetNamespace implements AutoCloseable {

    /** Where iproute2 keeps its namespaces; qfence can be pointed elsewhere. */
    public static final Path DEFAULT_DIR = Path.of("/run/netns");

    private static final int ENOENT = 2;
    private static final int EEXIST = 17;
    private static final int EIO = 5;

    private final Path path;
    private final boolean mounted;
    private final ExecutorService executor;
    private volatile Thread thread;
    private volatile int descriptor = -1;
    private volatile boolean closed;

    /** Starts the thread and moves it into the namespace: by {@code setns} on {@code path}, or by a fresh unshare. */
    private NetNamespace(Path mountPath, String threadName, boolean unshareFresh, boolean named) {
        this.mounted = named;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            thread = t;
            return t;
        });
        try {
            this.path = executor.submit(() -> {
                if (unshareFresh) {
                    OsNative.check(OsNative.LIBC.unshare(OsNative.LibC.CLONE_NEWNET), "unshare(CLONE_NEWNET)");
                    descriptor = OsNative.check(OsNative.LIBC.open("/proc/thread-self/ns/net", OsNative.LibC.O_RDONLY | OsNative.LibC.O_CLOEXEC, 0),
                            "open /proc/thread-self/ns/net");
                    // "PID/task/TID": the namespace's path for as long as this thread holds it
                    return Path.of("/proc").resolve(Files.readSymbolicLink(Path.of("/proc/thread-self"))).resolve("ns/net");
                }
                int fd = OsNative.check(OsNative.LIBC.open(mountPath.toString(), OsNative.LibC.O_RDONLY | OsNative.LibC.O_CLOEXEC, 0),
                        "open " + mountPath);
                try {
                    OsNative.check(OsNative.LIBC.setns(fd, OsNative.LibC.CLONE_NEWNET), "setns " + mountPath);
                } catch (RuntimeException e) {
                    OsNative.LIBC.close(fd);
                    throw e;
                }
                descriptor = fd;
                return mountPath;
            }).get();
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while entering netns " + threadName, e);
        } catch (ExecutionException e) {
            executor.shutdownNow();
            throw rethrow(e);
        }
    }

    /** Creates {@code dir/name} as a new, empty network namespace (only {@code lo}, down) and enters it. */
    public static NetNamespace create(Path dir, String name) {
        requireValidName(name);
        Path path = dir.resolve(name);
        prepareDirectory(dir);
        try {
            Files.createFile(path);
        } catch (FileAlreadyExistsException e) {
            throw new OsException("create netns " + path, EEXIST, "File exists");
        } catch (IOException e) {
            throw new OsException("create netns " + path, EIO, io.qfence.model.errors.IoMessages.describe(e));
        }
        // unshare() moves the calling thread only; do it on a throwaway thread so no JVM thread is left inside.
        Thread creator = new Thread(() -> {
            OsNative.check(OsNative.LIBC.unshare(OsNative.LibC.CLONE_NEWNET), "unshare(CLONE_NEWNET)");
            OsNative.check(OsNative.LIBC.mount("/proc/thread-self/ns/net", path.toString(), "none", OsNative.LibC.MS_BIND, null),
                    "bind-mount netns onto " + path);
        }, "netns-create-" + name);
        RuntimeException[] failure = new RuntimeException[1];
        creator.setUncaughtExceptionHandler((t, e) -> failure[0] = e instanceof OsException oe ? oe
                : new OsException("create netns " + name, 0, io.qfence.model.errors.IoMessages.describe(e)));
        creator.start();
        boolean interrupted = false;
        while (true) {
            try {
                creator.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the creator must finish before we can know whether to clean up
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // the original failure is the one worth reporting
            }
            throw failure[0];
        }
        try {
            return new NetNamespace(path, "netns-" + name, false, true);
        } catch (RuntimeException e) {
            removeMount(path);
            throw e;
        }
    }

    /**
     * Creates an anonymous namespace held only by its thread: for probing the kernel (what can be created?) without
     * touching any real namespace or leaving a trace. {@link #close()} ends it; {@link #path()} is valid until then.
     */
    public static NetNamespace createThrowaway(String label) {
        return new NetNamespace(null, "netns-throwaway-" + label, true, false);
    }

    /** Enters an existing namespace, e.g. one made by {@code ip netns add}. */
    public static NetNamespace open(Path path) {
        if (!Files.exists(path)) {
            throw new OsException("open netns " + path, ENOENT, "No such file or directory");
        }
        return new NetNamespace(path, "netns-" + path.getFileName(), false, true);
    }

    /**
     * The calling thread's namespace (in production: the host's, which qfence manages unless configured otherwise),
     * with a thread of its own like any other, so that code written against a {@code NetNamespace} (sysctls, nft)
     * works there too. Not named: {@link #delete()} only closes it.
     */
    public static NetNamespace current() {
        Path own;
        try {
            own = Path.of("/proc").resolve(Files.readSymbolicLink(Path.of("/proc/thread-self"))).resolve("ns/net");
        } catch (IOException e) {
            throw new OsException("resolve /proc/thread-self", EIO, io.qfence.model.errors.IoMessages.describe(e));
        }
        return new NetNamespace(own, "netns-current-" + Thread.currentThread().getName(), false, false);
    }

    /**
     * The names of the namespaces mounted in {@code dir}, sorted; empty when the directory does not exist. A file
     * there that is not a namespace mount (e.g. left by an interrupted {@code create}) is not listed: a namespace
     * mount lives on the nsfs file system, not on the directory's.
     */
    public static List<String> list(Path dir) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            Object dirDevice = Files.getAttribute(dir, "unix:dev");
            for (Path entry : entries) {
                try {
                    if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)
                            && !Objects.equals(Files.getAttribute(entry, "unix:dev", LinkOption.NOFOLLOW_LINKS), dirDevice)) {
                        names.add(entry.getFileName().toString());
                    }
                } catch (NoSuchFileException gone) {
                    // deleted while we listed
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new OsException("list netns directory " + dir, EIO, io.qfence.model.errors.IoMessages.describe(e));
        }
        names.sort(null);
        return names;
    }

    /**
     * The namespace a host connection manages, for the composition root: the one at {@code path} (opened, never
     * created), or the caller's own when empty.
     *
     * @throws HostPortException (port {@code host}) when it cannot be opened
     */
    public static NetNamespace managed(Optional<Path> path) throws HostPortException {
        try {
            return path.isPresent() ? open(path.get()) : current();
        } catch (OsException e) {
            throw e.toPortError(HostPortException.Port.HOST, "network namespace " + path.map(Path::toString).orElse("of this process"));
        }
    }

    /**
     * As {@link #list}, for the host-facts port.
     *
     * @throws HostPortException (port {@code host}) when {@code dir} cannot be read
     */
    public static List<String> names(Path dir) throws HostPortException {
        try {
            return list(dir);
        } catch (OsException e) {
            throw e.toPortError(HostPortException.Port.HOST, "network namespace directory " + dir);
        }
    }

    /** Removes a named namespace like {@code ip netns del}, without entering it. */
    public static void delete(Path path) {
        removeMount(path);
    }

    private static void requireValidName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.indexOf('\0') >= 0
                || name.getBytes(StandardCharsets.UTF_8).length > 255) {
            throw new IllegalArgumentException("invalid netns name '" + name + "': must be a single path component of 1..255 bytes");
        }
    }

    /**
     * Like iproute2: the directory must be a shared mount point, so that namespaces mounted later are visible in
     * mount namespaces that were cloned from this one (and unmounts propagate).
     */
    private static void prepareDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new OsException("mkdir " + dir, EIO, io.qfence.model.errors.IoMessages.describe(e));
        }
        if (OsNative.LIBC.mount("", dir.toString(), "none", OsNative.LibC.MS_SHARED | OsNative.LibC.MS_REC, null) == 0) {
            return;
        }
        if (OsNative.errno() != OsNative.LibC.EINVAL) {
            OsNative.check(-1, "make " + dir + " a shared mount");
        }
        // EINVAL: not a mount point yet. Bind it onto itself, then retry.
        OsNative.check(OsNative.LIBC.mount(dir.toString(), dir.toString(), "none", OsNative.LibC.MS_BIND | OsNative.LibC.MS_REC, null),
                "bind-mount " + dir + " onto itself");
        OsNative.check(OsNative.LIBC.mount("", dir.toString(), "none", OsNative.LibC.MS_SHARED | OsNative.LibC.MS_REC, null),
                "make " + dir + " a shared mount");
    }

    /** The mount point of a named namespace, or the {@code /proc/PID/task/TID/ns/net} it was entered through. */
    public Path path() {
        return path;
    }

    public String name() {
        return path.getFileName().toString();
    }

    /** Whether it is a named (bind-mounted) namespace rather than a throwaway one. */
    public boolean isNamed() {
        return mounted;
    }

    /**
     * An open descriptor of the namespace (O_CLOEXEC), valid until {@link #close()}: pass it where the kernel takes a
     * namespace fd ({@code IFLA_NET_NS_FD}, {@code setns}). Do not close it.
     */
    public int descriptor() {
        requireOpen();
        return descriptor;
    }

    /**
     * Runs {@code work} on this namespace's thread and returns its result; its exceptions propagate unchanged. Work
     * that is already on the namespace's thread runs directly (a nested call would otherwise wait for itself).
     */
    public <T> T call(Callable<T> work) {
        requireOpen();
        if (Thread.currentThread() == thread) {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Future<T> future;
        try {
            future = executor.submit(work);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("netns " + name() + " is closed", e);
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while working in netns " + name(), e);
        } catch (ExecutionException e) {
            throw rethrow(e);
        }
    }

    public void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("netns " + name() + " is closed");
        }
    }

    /**
     * Leaves the namespace: stops its thread and closes the descriptor. A named namespace lives on until
     * {@link #delete()}; a throwaway one ends here. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("netns " + name() + ": its thread did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int fd = descriptor;
        descriptor = -1;
        if (fd >= 0) {
            OsNative.LIBC.close(fd);
        }
    }

    /**
     * Leaves and removes the namespace like {@code ip netns del}: a lazy unmount and unlink. The kernel frees the
     * namespace and its links once nothing else holds it, in the background.
     */
    public void delete() {
        close();
        if (mounted) {
            removeMount(path);
        }
    }

    /** Unmounts (lazily) and unlinks; tries both, so a half-made namespace is cleaned too, then reports the first error. */
    private static void removeMount(Path path) {
        OsException failure = null;
        if (OsNative.LIBC.umount2(path.toString(), OsNative.LibC.MNT_DETACH) != 0 && OsNative.errno() != OsNative.LibC.EINVAL) {
            failure = new OsException("umount " + path, OsNative.errno(), OsNative.LIBC.strerror(OsNative.errno()));
        }
        if (OsNative.LIBC.unlink(path.toString()) != 0) {
            int errno = OsNative.errno();
            if (failure == null) {
                failure = new OsException("unlink " + path, errno, OsNative.LIBC.strerror(errno));
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException rethrow(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) {
            return re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(cause);
    }
}
