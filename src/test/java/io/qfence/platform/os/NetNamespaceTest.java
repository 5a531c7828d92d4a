package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
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

    @Test
    void listingShowsNamespaceMountsButNotStrayFiles() throws Exception {
        Path dir = Files.createTempDirectory("qfence-test-netns-dir");
        String name = uniqueName();
        NetNamespace ns = NetNamespace.create(dir, name);
        Path stray = dir.resolve("qfence-test-stray");
        try {
            Files.createFile(stray);
            assertThat(NetNamespace.list(dir)).containsExactly(name);
        } finally {
            ns.delete();
            Files.deleteIfExists(stray);
            // the directory was made a shared bind mount of itself, like iproute2 does with /run/netns
            OsNative.check(OsNative.LIBC.umount2(dir.toString(), OsNative.LibC.MNT_DETACH), "umount " + dir);
            Files.delete(dir);
        }
        assertThat(NetNamespace.list(dir)).isEmpty();
    }

    @Test
    void aThrowawayNamespaceIsPrivateAndLeavesNoTrace() throws Exception {
        String before = Witness.run("ip", "netns", "list");
        NetNamespace throwaway = NetNamespace.createThrowaway("test");
        String inside;
        try {
            inside = throwaway.call(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
            String outside = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            assertThat(inside).isNotEqualTo(outside);
            assertThat(throwaway.isNamed()).isFalse();
            assertThat(Files.readSymbolicLink(throwaway.path()).toString()).isEqualTo(inside);
            assertThat(Witness.run("ip", "netns", "list")).isEqualTo(before);
        } finally {
            throwaway.close();
        }
        assertThatThrownBy(() -> throwaway.call(() -> 1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void theDescriptorRefersToTheNamespace() throws Exception {
        String name = uniqueName();
        NetNamespace ns = NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
        try {
            Path fd = Path.of("/proc/self/fd/" + ns.descriptor());
            String inside = ns.call(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
            assertThat("net:[" + Files.getAttribute(fd, "unix:ino") + "]").isEqualTo(inside);
        } finally {
            ns.delete();
        }
    }

    @Test
    void workSubmittedFromTheNamespacesOwnThreadRunsInline() {
        String name = uniqueName();
        NetNamespace ns = NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
        try {
            AtomicReference<Thread> inner = new AtomicReference<>();
            Thread outer = ns.call(() -> {
                ns.run(() -> inner.set(Thread.currentThread()));
                return Thread.currentThread();
            });
            assertThat(inner.get()).isSameAs(outer);
        } finally {
            ns.delete();
        }
    }

    @Test
    void aNamespaceCanBeDeletedByPathAndDeletingTwiceFails() {
        String name = uniqueName();
        Witness.run("ip", "netns", "add", name);
        try {
            NetNamespace.delete(NetNamespace.DEFAULT_DIR.resolve(name));
        } catch (RuntimeException e) {
            Witness.run("ip", "netns", "del", name);
            throw e;
        }
        assertThat(Witness.run("ip", "netns", "list")).doesNotContain(name);
        assertThatThrownBy(() -> NetNamespace.delete(NetNamespace.DEFAULT_DIR.resolve(name)))
                .isInstanceOf(OsException.class).hasMessageContaining(name)
                .satisfies(e -> assertThat(((OsException) e).errno()).isEqualTo(2));
    }

    @Test
    void namesThatAreNotASinglePathComponentAreRefused() {
        assertThatThrownBy(() -> NetNamespace.create(NetNamespace.DEFAULT_DIR, "../etc"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid netns name '../etc'");
        assertThatThrownBy(() -> NetNamespace.create(NetNamespace.DEFAULT_DIR, ""))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCurrentNamespaceIsTheCallersAndDeletingItOnlyLeavesIt() throws Exception {
        String mine = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        NetNamespace current = NetNamespace.current();
        try {
            assertThat(current.call(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString())).isEqualTo(mine);
            assertThat(current.isNamed()).isFalse();
        } finally {
            current.delete();
        }
        assertThat(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString()).isEqualTo(mine);
    }
}
