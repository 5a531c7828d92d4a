package io.qfence.testing;

import io.qfence.platform.os.NetNamespace;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * A private network namespace for one test class, with only {@code lo}, up. Servers a test starts listen here and
 * clients connect from here, so no traffic touches the machine's own namespace.
 */
public final class TestNetns implements AutoCloseable {

    private final NetNamespace namespace;

    private TestNetns(NetNamespace namespace) {
        this.namespace = namespace;
    }

    /** {@code qfence-test-<purpose>-<random>}: unique, and recognisably this suite's when something is left over. */
    public static TestNetns create(String purpose) {
        String name = "qfence-test-" + purpose + "-" + UUID.randomUUID().toString().substring(0, 8);
        NetNamespace ns = NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
        try {
            Witness.inNetns(name, "ip", "link", "set", "lo", "up");
        } catch (RuntimeException | AssertionError e) {
            ns.delete();
            throw e;
        }
        return new TestNetns(ns);
    }

    public String name() {
        return namespace.name();
    }

    /**
     * Runs {@code work} on a thread inside the namespace (sockets it opens belong to the namespace). Its exceptions,
     * checked ones included, reach the caller unchanged.
     */
    public <T> T call(Callable<T> work) throws Exception {
        try {
            return namespace.call(work);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof Exception checked && !(checked instanceof RuntimeException)
                    && e.getMessage().equals(checked.toString())) {
                throw checked;
            }
            throw e;
        }
    }

    /** The command line prefix that runs a program inside the namespace. */
    public String[] exec(String... command) {
        String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = name();
        System.arraycopy(command, 0, full, 4, command.length);
        return full;
    }

    @Override
    public void close() {
        namespace.delete();
    }
}
