package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@RequiresHost(tools = "ip")
class NetNamespaceTest {

    private static String uniqueName() {
        return "qfence-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void createdNamespaceIsVisibleToIproute2AndHoldsOnlyLoopback() {
        String name = uniqueName();
        NetNamespace ns = NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
        try {
            assertThat(Witness.run("ip", "netns", "list")).contains(name);
            assertThat(Witness.inNetns(name, "ip", "-o", "link", "show").strip().lines()).hasSize(1)
                    .first().asString().contains(": lo:");
        } finally {
            ns.delete();
        }
        assertThat(Witness.run("ip", "netns", "list")).doesNotContain(name);
        assertThat(Files.exists(NetNamespace.DEFAULT_DIR.resolve(name))).isFalse();
    }

    @Test
    void workSubmittedToTheNamespaceRunsInsideIt() throws Exception {
        String name = uniqueName();
        NetNamespace ns = NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
        try {
            String inside = ns.call(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
            String outside = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            Object mountedInode = Files.getAttribute(ns.path(), "unix:ino");
            assertThat(inside).isEqualTo("net:[" + mountedInode + "]").isNotEqualTo(outside);
        } finally {
            ns.delete();
        }
    }

    @Test
    void creatingANamespaceTwiceFailsWithoutDisturbingTheFirst() {
        String name = uniqueName();
        NetNamespace ns = NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
        try {
            assertThatThrownBy(() -> NetNamespace.create(NetNamespace.DEFAULT_DIR, name))
                    .isInstanceOf(OsException.class).hasMessageContaining(name);
            assertThat(Witness.run("ip", "netns", "list")).contains(name);
        } finally {
            ns.delete();
        }
    }
}
