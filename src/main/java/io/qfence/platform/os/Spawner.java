package io.qfence.platform.os;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Starts a process with glibc's {@code posix_spawn}: exactly the descriptors asked for (everything from
 * {@link Request#closeFrom} up is closed in the child), a clean signal mask, every signal at its default
 * disposition, an explicit environment, and optionally a new session. Java's {@code ProcessBuilder} can do none of
 * the descriptor work, and a hand-written fork/exec in Java is not safe in a JVM.
 *
 * <p>The child is reaped by a dedicated daemon thread that waits for that pid only ({@code waitpid(pid)}, never
 * {@code -1}, which would steal the JDK's own children), so it never lingers as a zombie while this JVM lives; its
 * exit status completes {@link Spawned#exit()}. If this JVM ends first, the child is re-parented and lives on.
 */
public final class Spawner {

    private Spawner() {}

    /** What the child's descriptor table gets, applied in order before exec. */
    public sealed interface FdAction {

        /** {@code dup2(source, target)}: the child gets {@code source} as {@code target}, without close-on-exec. */
        record Inherit(Descriptor source, int target) implements FdAction {
            public Inherit {
                Objects.requireNonNull(source, "source");
                requireFd(target);
            }
        }

        /** {@code dup2(from, target)} within the child, e.g. {@code 2>&1}. */
        record Duplicate(int from, int target) implements FdAction {
            public Duplicate {
                requireFd(from);
                requireFd(target);
            }
        }

        /** Opens {@code path} read-only as {@code target}, not following a final symlink. */
        record OpenRead(int target, Path path) implements FdAction {
            public OpenRead {
                requireFd(target);
                Objects.requireNonNull(path, "path");
            }
        }

        /**
         * Creates {@code path} as a new file (it must not exist: no symlink or hard link planted in its place can be
         * followed) with {@code mode}, opened append-only as {@code target}.
         */
        record CreateNew(int target, Path path, int mode) implements FdAction {
            public CreateNew {
                requireFd(target);
                Objects.requireNonNull(path, "path");
                if ((mode & ~0777) != 0) {
                    throw new IllegalArgumentException("mode must be within 0777, got 0" + Integer.toOctalString(mode));
                }
            }
        }

        private static void requireFd(int fd) {
            if (fd < 0 || fd > 1023) {
                throw new IllegalArgumentException("descriptor must be 0..1023, got " + fd);
            }
        }
    }

    /**
     * @param program     absolute path of the executable (no PATH search)
     * @param argv        the child's argv, argv[0] first
     * @param environment the child's entire environment
     * @param closeFrom   every descriptor from this one up is closed in the child after the {@code fdActions}
     * @param newSession  {@code setsid()} in the child: no controlling terminal, its own process group, so no
     *                    terminal hang-up or job-control signal aimed at qfence reaches it
     */
    public record Request(Path program, List<String> argv, SortedMap<String, String> environment,
                          List<FdAction> fdActions, int closeFrom, boolean newSession) {

        public Request {
            Objects.requireNonNull(program, "program");
            if (!program.isAbsolute()) {
                throw new IllegalArgumentException("program must be an absolute path, got " + program);
            }
            argv = List.copyOf(argv);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("argv must contain at least argv[0]");
            }
            for (String arg : argv) {
                requireNoNul("argument", arg);
            }
            environment = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(environment));
            environment.forEach((k, v) -> {
                requireNoNul("environment name", k);
                requireNoNul("environment value", v);
                if (k.isEmpty() || k.contains("=")) {
                    throw new IllegalArgumentException("environment name must be non-empty without '=', got '" + k + "'");
                }
            });
            fdActions = List.copyOf(fdActions);
            if (closeFrom < 3) {
                throw new IllegalArgumentException("closeFrom must be >= 3 (stdin, stdout and stderr stay), got " + closeFrom);
            }
        }

        public static Request of(Path program, List<String> argv, Map<String, String> environment) {
            return new Request(program, argv, new TreeMap<>(environment), List.of(), 3, false);
        }

        public Request withFdActions(List<FdAction> actions, int closeFrom) {
            return new Request(program, argv, environment, actions, closeFrom, newSession);
        }

        public Request inNewSession() {
            return new Request(program, argv, environment, fdActions, closeFrom, true);
        }

        private static void requireNoNul(String what, String value) {
            Objects.requireNonNull(value, what);
            if (value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(what + " contains a NUL character");
            }
        }
    }

    /** A started child. {@link #exit()} completes when it terminates and has been reaped. */
    public record Spawned(long pid, CompletableFuture<ExitStatus> exit) {}

    /** Starts the child; fails with the errno of {@code posix_spawn} (e.g. ENOENT) if it cannot. */
    public static Spawned spawn(Request request) {
        return reaped(start(request), request.program().getFileName().toString());
    }

    /**
     * Starts the child without a reaper: for a caller that spawns on a thread which must not create threads (the
     * jail's, whose root and mount namespace a new thread would share); it then calls {@link #reaped} from an
     * ordinary thread. Any thread of this process may wait for the child.
     */
    static int start(Request request) {
        Runtime runtime = OsNative.runtime();
        OsNative.LibC libc = OsNative.LIBC;
        Pointer fileActions = Memory.allocateDirect(runtime, OsNative.LibC.SPAWN_STRUCT_BYTES, true);
        Pointer attributes = Memory.allocateDirect(runtime, OsNative.LibC.SPAWN_STRUCT_BYTES, true);
        OsNative.checkReturned(libc.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
        try {
            OsNative.checkReturned(libc.posix_spawnattr_init(attributes), "posix_spawnattr_init");
            try {
                for (FdAction action : request.fdActions()) {
                    addFileAction(libc, fileActions, action);
                }
                OsNative.checkReturned(libc.posix_spawn_file_actions_addclosefrom_np(fileActions, request.closeFrom()),
                        "posix_spawn_file_actions_addclosefrom_np " + request.closeFrom());

                short flags = (short) (OsNative.LibC.POSIX_SPAWN_SETSIGMASK | OsNative.LibC.POSIX_SPAWN_SETSIGDEF
                        | (request.newSession() ? OsNative.LibC.POSIX_SPAWN_SETSID : 0));
                OsNative.checkReturned(libc.posix_spawnattr_setflags(attributes, flags), "posix_spawnattr_setflags");
                Pointer emptySet = Memory.allocateDirect(runtime, OsNative.LibC.SIGSET_BYTES, true);
                OsNative.check(libc.sigemptyset(emptySet), "sigemptyset");
                OsNative.checkReturned(libc.posix_spawnattr_setsigmask(attributes, emptySet), "posix_spawnattr_setsigmask");
                // The JVM installs handlers and may ignore signals; ignored dispositions survive exec. Reset all.
                Pointer fullSet = Memory.allocateDirect(runtime, OsNative.LibC.SIGSET_BYTES, true);
                OsNative.check(libc.sigfillset(fullSet), "sigfillset");
                OsNative.checkReturned(libc.posix_spawnattr_setsigdefault(attributes, fullSet), "posix_spawnattr_setsigdefault");

                List<String> env = new ArrayList<>();
                request.environment().forEach((k, v) -> env.add(k + "=" + v));
                StringArray argv = new StringArray(runtime, request.argv());
                StringArray envp = new StringArray(runtime, env);
                Pointer pid = Memory.allocateDirect(runtime, 4, true);
                OsNative.checkReturned(libc.posix_spawn(pid, request.program().toString(), fileActions, attributes,
                        argv.pointer(), envp.pointer()), "posix_spawn " + request.program());
                return pid.getInt(0);
            } finally {
                libc.posix_spawnattr_destroy(attributes);
            }
        } finally {
            libc.posix_spawn_file_actions_destroy(fileActions);
        }
    }

    private static void addFileAction(OsNative.LibC libc, Pointer fileActions, FdAction action) {
        if (action instanceof FdAction.Inherit inherit) {
            OsNative.checkReturned(libc.posix_spawn_file_actions_adddup2(fileActions, inherit.source().number(), inherit.target()),
                    "posix_spawn_file_actions_adddup2 " + inherit.source() + " to " + inherit.target());
        } else if (action instanceof FdAction.Duplicate dup) {
            OsNative.checkReturned(libc.posix_spawn_file_actions_adddup2(fileActions, dup.from(), dup.target()),
                    "posix_spawn_file_actions_adddup2 " + dup.from() + " to " + dup.target());
        } else if (action instanceof FdAction.OpenRead open) {
            OsNative.checkReturned(libc.posix_spawn_file_actions_addopen(fileActions, open.target(), open.path().toString(),
                    OsNative.LibC.O_RDONLY | OsNative.LibC.O_NOFOLLOW, 0), "posix_spawn_file_actions_addopen " + open.path());
        } else if (action instanceof FdAction.CreateNew create) {
            OsNative.checkReturned(libc.posix_spawn_file_actions_addopen(fileActions, create.target(), create.path().toString(),
                    OsNative.LibC.O_WRONLY | OsNative.LibC.O_APPEND | OsNative.LibC.O_CREAT | OsNative.LibC.O_EXCL | OsNative.LibC.O_NOFOLLOW,
                    create.mode()), "posix_spawn_file_actions_addopen " + create.path());
        }
    }

    /** The child {@code pid} of this process, with a daemon thread that reaps it. */
    static Spawned reaped(int pid, String name) {
        return new Spawned(pid, reap(pid, name));
    }

    private static CompletableFuture<ExitStatus> reap(int pid, String name) {
        CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
        Thread reaper = new Thread(() -> {
            Pointer status = Memory.allocateDirect(OsNative.runtime(), 4, true);
            while (true) {
                int ret = OsNative.LIBC.waitpid(pid, status, 0);
                if (ret == pid) {
                    exit.complete(ExitStatus.decode(status.getInt(0)));
                    return;
                }
                if (ret < 0 && OsNative.errno() == OsNative.LibC.EINTR) {
                    continue;
                }
                int errno = ret < 0 ? OsNative.errno() : 0;
                exit.completeExceptionally(new OsException("waitpid " + pid, errno, OsNative.LIBC.strerror(errno)));
                return;
            }
        }, "reaper-" + name + "-" + pid);
        reaper.setDaemon(true);
        reaper.start();
        return exit;
    }

    /** A NULL-terminated {@code char *[]} in native memory; the strings stay reachable as long as this object. */
    private static final class StringArray {
        private final Pointer array;
        private final List<Pointer> strings = new ArrayList<>();

        StringArray(Runtime runtime, List<String> values) {
            int pointerSize = runtime.addressSize();
            array = Memory.allocateDirect(runtime, (values.size() + 1) * pointerSize, true);
            for (int i = 0; i < values.size(); i++) {
                byte[] bytes = values.get(i).getBytes(StandardCharsets.UTF_8);
                Pointer s = Memory.allocateDirect(runtime, bytes.length + 1, true);
                s.put(0, bytes, 0, bytes.length);
                strings.add(s);
                array.putPointer((long) i * pointerSize, s);
            }
        }

        Pointer pointer() {
            return array;
        }
    }
}
