package io.qfence.testing;

import io.qfence.platform.os.NetNamespace;
import java.util.UUID;

/**
 * A private network namespace for one test, under /run/netns with a random {@code qfence-test-} name so that
 * {@code ip netns exec} can be used as a witness. Close it in {@code @AfterEach} or try-with-resources: it is
 * deleted even if the test failed.
 */
public final class TestNamespace implements AutoCloseable {

    private final NetNamespace netns;
    private boolean deleted;

    private TestNamespace(NetNamespace netns) {
        this.netns = netns;
    }

    public static TestNamespace create() {
        return new TestNamespace(NetNamespace.create(NetNamespace.DEFAULT_DIR, uniqueName(PREFIX)));
    }

    /** The prefix of namespaces made by {@link #create()}. */
    public static final String PREFIX = "qfence-test-nl-";

    public static String uniqueName() {
        return uniqueName("qfence-test-");
    }

    /** {@code prefix} + 8 random hex digits; a prefix of its own lets a suite check that it left nothing behind. */
    public static String uniqueName(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    public NetNamespace netns() {
        return netns;
    }

    public String name() {
        return netns.name();
    }

    /** Runs a witness tool inside this namespace. */
    public String witness(String... command) {
        return Witness.inNetns(name(), command);
    }

    /** Deletes the namespace; idempotent. */
    @Override
    public void close() {
        if (!deleted) {
            deleted = true;
            netns.delete();
        }
    }
}
