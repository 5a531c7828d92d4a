package io.qfence.platform.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Spawns a process in a jail of its own (DESIGN.md §9, "The guest jail"): new mount, PID, IPC and UTS namespaces
 * and a root that holds only a {@link JailLayout}.
 *
 * <p>All of it happens on a thread made for this one spawn, because namespaces and the root are per thread in Linux:
 * the thread enters the network namespace, {@code unshare}s mount, IPC, UTS and PID namespaces (a thread may: none
 * of these needs a single-threaded process), makes every mount private, mounts a tmpfs over {@code mountPoint}, fills
 * it, remounts it read-only, {@code pivot_root}s into it with the host's root at {@link #HOST_ROOT}, and only then
 * calls {@code posix_spawn}. The child is therefore <b>PID 1 of the new PID namespace</b> (the thread's
 * "PID namespace for children"), and the pid {@code posix_spawn} returns in qfence's namespace is the host pid of
 * the very process that execs QEMU: qfence learns it from the kernel, never from a file the VM can write. The spawned
 * chain still runs the host's {@code sh} and {@code setpriv} through {@link #HOST_ROOT}; once QEMU runs (its QMP
 * socket answers, and it is still at {@code -S}, having run no guest code) the caller calls
 * {@link #detachHostRoot()}, and the thread detaches the host's root from the jail's mount namespace and ends.
 *
 * <p>Every source is opened ({@code O_PATH}) before the tmpfs hides {@code mountPoint}, so the mount point may lie
 * above them (qfence uses its runDir). Nothing here is visible in the host's mount namespace: the mounts live and
 * die with the jail's namespace, which ends with its last process.
 */
public final class Jail implements AutoCloseable {

    /** Where the host's root stays reachable until {@link #detachHostRoot()}; an empty directory afterwards. */
    public static final Path HOST_ROOT = Path.of("/.qfence-host-root");
    /** Where the jailed PID 1 mounts its own /proc. */
    public static final Path PROC = Path.of("/proc");
    /** The tmpfs that becomes the jail's root. */
    static final String ROOT_OPTIONS = "mode=0755,size=1m";
    /**
     * The tmpfs of a directory that holds device nodes made in the jail ({@link JailLayout.DeviceNode}): a few inodes
     * and no data; it is the one mount without {@code nodev}, so that the node made there opens.
     */
    static final String DEVICE_DIR_OPTIONS = "mode=0755,size=4k,nr_inodes=16";
    static final long DEVICE_DIR_FLAGS = OsNative.LibC.MS_NOSUID | OsNative.LibC.MS_NOEXEC;
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    static final int NAMESPACES = OsNative.LibC.CLONE_NEWNS | OsNative.LibC.CLONE_NEWIPC | OsNative.LibC.CLONE_NEWUTS
            | OsNative.LibC.CLONE_NEWPID;

    /**
     * Where the jail's thread spent its time (DESIGN.md §9, "Cost"), each in nanoseconds: entering the namespaces,
     * building the root (opening the sources, the tmpfs, every bind mount, the read-only remount), spawning the chain,
     * and {@code pivot_root} with the gate's release.
     */
    public record Phases(long namespaces, long root, long spawn, long pivot) {
        public long total() {
            return namespaces + root + spawn + pivot;
        }
    }

    private final CompletableFuture<Integer> spawned = new CompletableFuture<>();
    private volatile Phases phases = new Phases(0, 0, 0, 0);
    private final CompletableFuture<Boolean> command = new CompletableFuture<>();
    private final CompletableFuture<Void> detached = new CompletableFuture<>();
    private Spawner.Spawned child;

    private Jail() {}

    /**
     * Builds the jail and spawns {@code request} in it. The request's program runs first in the host's root (inside
     * the jail's namespaces) with descriptor 0 a pipe that reaches end-of-file once its root is the jail; it must wait
     * for that, {@code cd /} and reach host programs under {@link #HOST_ROOT} from then on (see
     * {@code LaunchChain.JAILED_SCRIPT}). Returns once the child exists and its root is switched, or throws what
     * stopped it (nothing is left behind: a child is killed, and the namespaces end with the thread).
     */
    public static Jail spawn(JailLayout layout, Path mountPoint, Optional<NetNamespace> netns, Spawner.Request request) {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(request, "request");
        if (!mountPoint.isAbsolute()) {
            throw new IllegalArgumentException("jail mount point must be absolute, got " + mountPoint);
        }
        Jail jail = new Jail();
        Optional<Integer> netnsFd = netns.map(NetNamespace::descriptor);
        Thread thread = new Thread(() -> jail.run(layout, mountPoint, netnsFd, request), "jail-" + request.argv().get(0));
        thread.setDaemon(true);
        thread.start();
        int pid;
        try {
            pid = jail.await(jail.spawned);
        } catch (RuntimeException e) {
            jail.command.complete(false);
            throw e;
        }
        // the reaper is made here, on an ordinary thread: one made by the jail's thread would share its root
        jail.child = Spawner.reaped(pid, request.program().getFileName().toString());
        return jail;
    }

    public Spawner.Spawned spawned() {
        return child;
    }

    /** Where the jail's thread spent its time until the child ran in the jail. */
    public Phases phases() {
        return phases;
    }

    /** Detaches the host's root from the jail: call once the spawned chain has exec'd its last program. */
    public void detachHostRoot() {
        command.complete(true);
        await(detached);
    }

    /** Ends the jail's thread without detaching (the process, if any, is the caller's to kill). */
    @Override
    public void close() {
        command.complete(false);
    }

    private <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new OsException("jail", 0, String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            throw new OsException("jail", 0, "its thread did not answer within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OsException("jail", 0, "interrupted");
        }
    }

    /**
     * The jail's thread. After {@code pivot_root} its root is the jail, where no class file is: it then only makes
     * calls that are already bound (close, umount2) and completes futures nobody chains on.
     */
    private void run(JailLayout layout, Path mountPoint, Optional<Integer> netnsFd, Spawner.Request request) {
        int pid = -1;
        int[] gate = {-1, -1};
        List<Integer> created = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            netnsFd.ifPresent(fd -> OsNative.check(OsNative.LIBC.setns(fd, OsNative.LibC.CLONE_NEWNET), "setns net"));
            OsNative.check(OsNative.LIBC.unshare(NAMESPACES), "unshare mount, IPC, UTS and PID namespaces");
            mount(null, "/", null, OsNative.LibC.MS_REC | OsNative.LibC.MS_PRIVATE, null, "make every mount private");
            // files the request creates are created now, before the jail's root hides the mount point
            List<Spawner.FdAction> fds = new ArrayList<>();
            for (Spawner.FdAction action : request.fdActions()) {
                if (action instanceof Spawner.FdAction.CreateNew create) {
                    int fd = OsNative.check(OsNative.LIBC.open(create.path().toString(), OsNative.LibC.O_WRONLY | OsNative.LibC.O_APPEND
                            | OsNative.LibC.O_CREAT | OsNative.LibC.O_EXCL | OsNative.LibC.O_NOFOLLOW | OsNative.LibC.O_CLOEXEC,
                            create.mode()), "create " + create.path());
                    created.add(fd);
                    fds.add(new Spawner.FdAction.Inherit(new Descriptor(fd, create.path().toString()), create.target()));
                } else if (!(action instanceof Spawner.FdAction.OpenRead open && open.target() == 0)) {
                    fds.add(action);
                }
            }
            long t1 = System.nanoTime();
            build(layout, mountPoint);
            long t2 = System.nanoTime();
            // the child starts with "/" as its directory, which pivot_root moves to the jail's root
            OsNative.check(OsNative.LIBC.chdir("/"), "chdir /");
            OsNative.check(OsNative.LIBC.pipe2(gate, OsNative.LibC.O_CLOEXEC), "pipe2");
            fds.add(0, new Spawner.FdAction.Inherit(new Descriptor(gate[0], "jail gate"), 0));
            pid = Spawner.start(request.withFdActions(fds, request.closeFrom()));
            long t3 = System.nanoTime();
            closeAll(created);
            OsNative.LIBC.close(gate[0]);
            gate[0] = -1;
            long ret = OsNative.LIBC.syscall(OsNative.LibC.SYS_PIVOT_ROOT, mountPoint.toString(), inside(mountPoint, HOST_ROOT).toString());
            OsNative.check(ret < 0 ? -1 : 0, "pivot_root " + mountPoint);
            OsNative.check(OsNative.LIBC.chdir("/"), "chdir / in the jail");
            OsNative.LIBC.close(gate[1]); // the child goes on, in the jail
            gate[1] = -1;
            phases = new Phases(t1 - t0, t2 - t1, t3 - t2, System.nanoTime() - t3);
            spawned.complete(pid);
        } catch (Throwable t) {
            if (pid > 0) {
                OsNative.LIBC.kill(pid, 9); // never let it go on in the host's root; its reaper is made below
                Spawner.reaped(pid, "failed jail");
            }
            for (int fd : gate) {
                if (fd >= 0) {
                    OsNative.LIBC.close(fd);
                }
            }
            closeAll(created);
            spawned.completeExceptionally(t);
            return;
        }
        if (command.join()) {
            int ret = OsNative.LIBC.umount2(HOST_ROOT.toString(), OsNative.LibC.MNT_DETACH);
            if (ret == 0) {
                detached.complete(null);
            } else {
                detached.completeExceptionally(new OsException("detach the host's root " + HOST_ROOT, OsNative.errno(), "failed"));
            }
        }
    }

    /**
     * For tests: builds {@code layout}'s root on {@code mountPoint} in a mount namespace of a fresh thread, as
     * {@link #spawn} does before it spawns, then lets the namespace end with the thread. Throws what {@code build}
     * threw.
     */
    static void buildAlone(JailLayout layout, Path mountPoint) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                OsNative.check(OsNative.LIBC.unshare(OsNative.LibC.CLONE_NEWNS), "unshare mount namespace");
                mount(null, "/", null, OsNative.LibC.MS_REC | OsNative.LibC.MS_PRIVATE, null, "make every mount private");
                build(layout, mountPoint);
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        }, "jail-build-test");
        thread.setDaemon(true);
        thread.start();
        new Jail().await(done);
    }

    private static void closeAll(List<Integer> fds) {
        for (int fd : fds) {
            OsNative.LIBC.close(fd);
        }
        fds.clear();
    }

    private static void build(JailLayout layout, Path root) throws IOException {
        List<Integer> sources = new ArrayList<>();
        try {
            for (JailLayout.BindMount bind : layout.binds()) {
                sources.add(OsNative.check(OsNative.LIBC.open(bind.path().toString(),
                        OsNative.LibC.O_PATH | OsNative.LibC.O_CLOEXEC | OsNative.LibC.O_NOFOLLOW, 0), "open " + bind.path()));
            }
            mount("tmpfs", root.toString(), "tmpfs", OsNative.LibC.MS_NOSUID | OsNative.LibC.MS_NODEV | OsNative.LibC.MS_NOEXEC,
                    ROOT_OPTIONS, "mount the jail's root on " + root);
            int next = 0;
            List<Path> deviceDirs = layout.deviceDirectories();
            for (JailLayout.JailEntry entry : layout.entries()) {
                Path inJail = inside(root, entry.path());
                Files.createDirectories(inJail.getParent());
                if (entry instanceof JailLayout.Directory) {
                    Files.createDirectories(inJail);
                    if (deviceDirs.contains(entry.path())) {
                        mount("tmpfs", inJail.toString(), "tmpfs", DEVICE_DIR_FLAGS, DEVICE_DIR_OPTIONS,
                                "mount the jail's device directory " + entry.path());
                    }
                } else if (entry instanceof JailLayout.DeviceNode node) {
                    makeNode(node, inJail);
                } else if (entry instanceof JailLayout.Symlink link) {
                    Files.createSymbolicLink(inJail, link.target());
                } else if (entry instanceof JailLayout.BindMount bind) {
                    if (bind.directory()) {
                        Files.createDirectories(inJail);
                    } else {
                        // made with mknod, never opened: see readOnly
                        OsNative.check(OsNative.LIBC.mknod(inJail.toString(), OsNative.LibC.S_IFREG | 0644, 0), "create " + inJail);
                    }
                    String source = "/proc/self/fd/" + sources.get(next++);
                    mount(source, inJail.toString(), null, OsNative.LibC.MS_BIND, null, "bind " + bind.path());
                    mount(null, inJail.toString(), null, OsNative.LibC.MS_REMOUNT | OsNative.LibC.MS_BIND | flags(bind.access()), null,
                            "restrict " + bind.path());
                }
            }
            Files.createDirectories(inside(root, PROC));
            Files.createDirectories(inside(root, HOST_ROOT));
            for (Path dir : deviceDirs) {
                mount(null, inside(root, dir).toString(), null, OsNative.LibC.MS_REMOUNT | OsNative.LibC.MS_RDONLY | DEVICE_DIR_FLAGS,
                        DEVICE_DIR_OPTIONS, "make the jail's device directory " + dir + " read-only");
            }
            readOnly(root);
        } finally {
            for (int fd : sources) {
                OsNative.LIBC.close(fd);
            }
        }
    }

    /**
     * Makes {@code node} at {@code inJail}: a character device with the host's major:minor, then its owner and mode
     * (set after {@code mknod}, which the umask narrows). Refused unless the host's node is a character device: a
     * regular file or a block device there must not become something QEMU opens in the jail.
     */
    private static void makeNode(JailLayout.DeviceNode node, Path inJail) throws IOException {
        Map<String, Object> host = Files.readAttributes(node.path(), "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        int type = (Integer) host.get("mode") & S_IFMT;
        if (type != S_IFCHR) {
            throw new OsException("make " + node.path() + " in the jail", 0,
                    "the host's " + node.path() + " is not a character device (st_mode type 0" + Integer.toOctalString(type) + ")");
        }
        long rdev = (Long) host.get("rdev");
        OsNative.check(OsNative.LIBC.mknod(inJail.toString(), S_IFCHR | node.mode(), rdev), "mknod " + inJail);
        // by path (chown, chmod): the node was made just now, and the JDK's no-follow variant of chmod would open it
        Files.setAttribute(inJail, "unix:uid", (int) node.uid());
        Files.setAttribute(inJail, "unix:gid", (int) node.gid());
        Files.setAttribute(inJail, "unix:mode", node.mode());
    }

    /**
     * Remounts the jail's root read-only. The kernel refuses (EBUSY) while any descriptor open for writing on this
     * tmpfs exists in any process. Building the jail opens none (the bind-mount targets are made with {@code mknod}):
     * it used to create them with {@code open}, and a child that another thread of qfence forked in that moment
     * (another guest's launch chain, {@code ld.so --list}) inherited a copy of the JVM's descriptors, that one
     * included, until its {@code closefrom} or exec; the remount then failed, one start in eleven under load.
     * {@code JailRootRemountTest} reproduced it (6 EBUSY in 150 builds while two threads forked, none without them)
     * and shows it gone. So there is no retry: an EBUSY now would be a new cause, to be found.
     */
    private static void readOnly(Path root) {
        long flags = OsNative.LibC.MS_REMOUNT | OsNative.LibC.MS_RDONLY | OsNative.LibC.MS_NOSUID | OsNative.LibC.MS_NODEV
                | OsNative.LibC.MS_NOEXEC;
        mount(null, root.toString(), null, flags, ROOT_OPTIONS, "make the jail's root read-only");
    }


    static long flags(JailLayout.Access access) {
        long base = OsNative.LibC.MS_NOSUID;
        return switch (access) {
            case EXECUTE -> base | OsNative.LibC.MS_RDONLY | OsNative.LibC.MS_NODEV;
            case READ -> base | OsNative.LibC.MS_RDONLY | OsNative.LibC.MS_NODEV | OsNative.LibC.MS_NOEXEC;
            case READ_WRITE -> base | OsNative.LibC.MS_NODEV | OsNative.LibC.MS_NOEXEC;
            case DEVICE -> base | OsNative.LibC.MS_RDONLY | OsNative.LibC.MS_NOEXEC;
        };
    }

    private static Path inside(Path root, Path path) {
        return root.resolve(Path.of("/").relativize(path));
    }

    private static void mount(String source, String target, String type, long flags, String data, String operation) {
        Pointer options = null;
        if (data != null) {
            byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
            options = Memory.allocateDirect(OsNative.runtime(), bytes.length + 1, true);
            options.put(0, bytes, 0, bytes.length);
        }
        OsNative.check(OsNative.LIBC.mount(source, target, type, flags, options), operation);
    }
}
