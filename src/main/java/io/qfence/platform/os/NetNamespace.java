package io.qfence.platform.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A named network namespace, kept alive by a bind mount the way iproute2 does it ({@code ip netns add}), and a
 * dedicated thread that lives inside it. Everything that must happen "in" the namespace (opening a netlink or
 * libnftables socket, creating a tap) is submitted to that thread with {@link #call}; sockets opened there stay
 * bound to the namespace wherever they are used afterwards.
 *
 * <p>Why a dedicated thread: {@code setns(CLONE_NEWNET)} changes only the calling thread, and a JVM pool thread
 * that had switched namespace would silently carry it into unrelated work.
 */
public final class NetNamespace implements AutoCloseable {

    /** Where iproute2 keeps its namespaces; qfence can be pointed elsewhere. */
    public static final Path DEFAULT_DIR = Path.of("/run/netns");

    private final Path path;
    private final ExecutorService thread;

    private NetNamespace(Path path) {
        this.path = path;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "netns-" + path.getFileName());
            t.setDaemon(true);
            return t;
        });
        try {
            thread.submit(() -> {
                int fd = Native.check(Native.LIBC.open(path.toString(), Native.LibC.O_RDONLY | Native.LibC.O_CLOEXEC, 0), "open " + path);
                try {
                    Native.check(Native.LIBC.setns(fd, Native.LibC.CLONE_NEWNET), "setns " + path);
                } finally {
                    Native.LIBC.close(fd);
                }
                return null;
            }).get();
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while entering " + path, e);
        } catch (ExecutionException e) {
            thread.shutdownNow();
            throw rethrow(e);
        }
    }

    /** Creates {@code dir/name} as a new, empty network namespace (only {@code lo}, down) and enters it. */
    public static NetNamespace create(Path dir, String name) {
        Path path = dir.resolve(name);
        prepareDirectory(dir);
        try {
            Files.createFile(path);
        } catch (IOException e) {
            throw new OsException("create " + path, 17, e.toString());
        }
        // unshare() moves the calling thread only; do it on a throwaway thread so no JVM thread is left inside.
        Thread creator = new Thread(() -> {
            Native.check(Native.LIBC.unshare(Native.LibC.CLONE_NEWNET), "unshare(CLONE_NEWNET)");
            Native.check(Native.LIBC.mount("/proc/thread-self/ns/net", path.toString(), "none", Native.LibC.MS_BIND, null),
                    "bind-mount netns onto " + path);
        }, "netns-create-" + name);
        OsException[] failure = new OsException[1];
        creator.setUncaughtExceptionHandler((t, e) -> failure[0] = e instanceof OsException oe ? oe
                : new OsException("create netns " + name, 0, e.toString()));
        creator.start();
        try {
            creator.join();
        } catch (InterruptedException e) {
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
        return new NetNamespace(path);
    }

    /** Enters an existing namespace, e.g. one made by {@code ip netns add}. */
    public static NetNamespace open(Path path) {
        if (!Files.exists(path)) {
            throw new OsException("open netns " + path, 2, "No such file or directory");
        }
        return new NetNamespace(path);
    }

    /**
     * Like iproute2: the directory must be a shared mount point, so that namespaces mounted later are visible in
     * mount namespaces that were cloned from this one (and unmounts propagate).
     */
    private static void prepareDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new OsException("mkdir " + dir, 13, e.toString());
        }
        if (Native.LIBC.mount("", dir.toString(), "none", Native.LibC.MS_SHARED | Native.LibC.MS_REC, null) == 0) {
            return;
        }
        if (Native.errno() != Native.LibC.EINVAL) {
            Native.check(-1, "make " + dir + " a shared mount");
        }
        // EINVAL: not a mount point yet. Bind it onto itself, then retry.
        Native.check(Native.LIBC.mount(dir.toString(), dir.toString(), "none", Native.LibC.MS_BIND | Native.LibC.MS_REC, null),
                "bind-mount " + dir + " onto itself");
        Native.check(Native.LIBC.mount("", dir.toString(), "none", Native.LibC.MS_SHARED | Native.LibC.MS_REC, null),
                "make " + dir + " a shared mount");
    }

    public Path path() {
        return path;
    }

    public String name() {
        return path.getFileName().toString();
    }

    /** Runs {@code work} on this namespace's thread and returns its result; its exceptions propagate unchanged. */
    public <T> T call(Callable<T> work) {
        Future<T> future = thread.submit(work);
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

    /** Leaves the namespace (stops its thread); the namespace itself lives on until {@link #delete}. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Leaves and removes the namespace like {@code ip netns del}: a lazy unmount and unlink. The kernel frees the
     * namespace and its links once nothing else holds it, in the background.
     */
    public void delete() {
        close();
        Native.check(Native.LIBC.umount2(path.toString(), Native.LibC.MNT_DETACH), "umount " + path);
        Native.check(Native.LIBC.unlink(path.toString()), "unlink " + path);
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
