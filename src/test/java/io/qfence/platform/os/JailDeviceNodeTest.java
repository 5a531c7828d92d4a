package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device node made in the jail ({@link JailLayout.DeviceNode}, DESIGN.md §9) copies the major:minor of a host node
 * that is a character device, and nothing else: the jail is not built around anything else at that path.
 */
@RequiresHost(tools = {"true"})
class JailDeviceNodeTest {

    @TempDir
    Path tmp;

    @Test
    void aHostPathThatIsNotACharacterDeviceIsRefusedAndNoJailIsBuilt() throws Exception {
        Path dev = Files.createDirectories(tmp.resolve("dev"));
        Files.writeString(dev.resolve("kvm"), "a regular file, not a device");
        JailLayout layout = new JailLayout.Builder().deviceNode(dev.resolve("kvm"), 200150, 200150, 0600).build();
        Path mountPoint = Files.createDirectories(tmp.resolve("root"));

        assertThatThrownBy(() -> Jail.buildAlone(layout, mountPoint)).isInstanceOf(OsException.class)
                .hasMessage("make " + dev.resolve("kvm") + " in the jail: the host's " + dev.resolve("kvm")
                        + " is not a character device (st_mode type 0100000) (errno 0)");
        assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"))).noneMatch(l -> l.contains(mountPoint.toString()));
    }

    @Test
    void aDeviceNodeNeedsItsDirectoryAndPermissionBitsOnly() {
        Path kvm = Path.of("/dev/kvm");
        assertThatThrownBy(() -> new JailLayout(java.util.List.of(new JailLayout.DeviceNode(kvm, 1000, 1000, 0600))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("jail device node /dev/kvm needs its directory in the jail");
        assertThatThrownBy(() -> new JailLayout.DeviceNode(kvm, 1000, 1000, 04600))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("device node /dev/kvm mode must be permission bits only, got 04600");
        assertThatThrownBy(() -> new JailLayout.DeviceNode(kvm, -1, 1000, 0600))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("device node /dev/kvm needs an owner, got -1:1000");
    }
}
