package io.qfence.bench;

import io.qfence.platform.os.NetNamespace;
import java.nio.file.Files;
import java.util.UUID;

/**
 * A named network namespace the bench makes for a moment (to let the kernel list a ruleset, or to capture a netlink
 * dump), deleted by {@link #close()} and, should the JVM be stopped first (Ctrl-C, SIGTERM), by a shutdown hook.
 * Its name starts with {@code $QFENCE_BENCH_TAG} when {@code bench/run} set it, so the run's own cleanup finds it even
 * after a SIGKILL; otherwise with {@code qfence-bench-}.
 */
public final class ScratchNamespace implements AutoCloseable {

    private final NetNamespace ns;
    private final Thread hook;

    private ScratchNamespace(NetNamespace ns) {
        this.ns = ns;
        // the JVM is going away: only the mount and its file need removing, whatever state the object is in
        this.hook = new Thread(() -> {
            if (Files.exists(ns.path())) {
                NetNamespace.delete(ns.path());
            }
        }, "delete " + ns.name());
    }

    /** @param purpose a short word for the name, e.g. {@code conv} */
    public static ScratchNamespace create(String purpose) {
        String tag = System.getenv().getOrDefault("QFENCE_BENCH_TAG", "qfence-bench");
        String name = tag + "-" + purpose + "-" + UUID.randomUUID().toString().substring(0, 8);
        ScratchNamespace s = new ScratchNamespace(NetNamespace.create(NetNamespace.DEFAULT_DIR, name));
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    public NetNamespace namespace() {
        return ns;
    }

    @Override
    public void close() {
        try {
            ns.delete();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is shutting down and the hook runs anyway: it finds the namespace gone
            }
        }
    }
}
