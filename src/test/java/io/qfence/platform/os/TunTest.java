package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@RequiresHost(tools = "ip", files = Tun.DEVICE)
class TunTest {

    private NetNamespace ns;

    @BeforeEach
    void createNamespace() {
        ns = NetNamespace.create(NetNamespace.DEFAULT_DIR, "qfence-test-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @AfterEach
    void deleteNamespace() {
        ns.delete();
    }

    private String linkDetails(String name) {
        return Witness.inNetns(ns.name(), "ip", "-d", "link", "show", name);
    }

    @Test
    void createdTapIsPersistentOwnedByTheVmAndLivesInTheCallersNamespace() {
        ns.run(() -> Tun.createPersistentTap("qft-a", 200123, 200124));

        assertThat(linkDetails("qft-a")).contains("tun type tap pi off vnet_hdr on persist on user 200123 group 200124");
        assertThat(Witness.tryRun("ip", "link", "show", "qft-a").exitCode()).as("not in the root namespace").isNotZero();
    }

    @Test
    void creatingAnExistingTapFailsWithEbusyAndLeavesItAlone() {
        ns.run(() -> Tun.createPersistentTap("qft-a", 200123, 200123));

        assertThatThrownBy(() -> ns.run(() -> Tun.createPersistentTap("qft-a", 200999, 200999)))
                .isInstanceOfSatisfying(OsException.class, e -> assertThat(Tun.isNameTaken(e)).isTrue())
                .hasMessageContaining("create tap qft-a");
        assertThat(linkDetails("qft-a")).contains("user 200123 group 200123");
    }

    @Test
    void openedTapDescriptorIsCloseOnExecAndRefersToTheTunDevice() throws Exception {
        ns.run(() -> Tun.createPersistentTap("qft-a", 200123, 200123));

        try (Descriptor tap = ns.call(() -> Tun.openTap("qft-a"))) {
            assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + tap.number()))).hasToString(Tun.DEVICE);
            assertThat(OsNative.LIBC.fcntl(tap.number(), OsNative.LibC.F_GETFD, 0) & OsNative.LibC.FD_CLOEXEC).isEqualTo(1);
            assertThat(Files.readString(Path.of("/proc/self/fdinfo/" + tap.number()))).contains("iff:\tqft-a");
        }
    }

    @Test
    void openingAMissingTapFailsAndCreatesNothing() {
        assertThatThrownBy(() -> ns.call(() -> Tun.openTap("qft-missing")))
                .isInstanceOf(OsException.class).hasMessageContaining("no persistent tap");

        assertThat(Witness.tryRun("ip", "netns", "exec", ns.name(), "ip", "link", "show", "qft-missing").exitCode()).isNotZero();
    }

    @Test
    void deletedTapDisappearsAndDeletingAgainReportsNothingToDelete() {
        ns.run(() -> Tun.createPersistentTap("qft-a", 200123, 200123));

        assertThat(ns.call(() -> Tun.deleteTap("qft-a"))).isTrue();
        assertThat(Witness.tryRun("ip", "netns", "exec", ns.name(), "ip", "link", "show", "qft-a").exitCode()).isNotZero();
        assertThat(ns.call(() -> Tun.deleteTap("qft-a"))).isFalse();
    }

    @Test
    void tapNamesAreCheckedBeforeAnySystemCall() {
        assertThatThrownBy(() -> Tun.createPersistentTap("qft-much-too-long", 200123, 200123))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tap name must be 1-15 characters of [A-Za-z0-9_.-], got 'qft-much-too-long'");
        assertThatThrownBy(() -> Tun.openTap("a/b")).isInstanceOf(IllegalArgumentException.class);
    }
}
