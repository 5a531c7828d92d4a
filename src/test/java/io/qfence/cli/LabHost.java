package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * What the lab's Debian host needs from its operator before qfence runs there (the tests do it, as root), and where
 * tests that also run in the lab find their files.
 */
final class LabHost {

    private LabHost() {}

    /**
     * Debian builds br_netfilter as a module that nothing loads on demand, and realization refuses bridged VMs without
     * it (DESIGN.md: the host's bridge netfilter setting is owned explicitly).
     */
    static void loadBrNetfilter() throws IOException, InterruptedException {
        assertThat(new ProcessBuilder("modprobe", "br_netfilter").inheritIO().start().waitFor()).as("modprobe br_netfilter").isZero();
    }

    /**
     * KVM inside the lab, for the tests whose guests must boot in minutes (DESIGN.md §16). The lab's CPU is QEMU's TCG
     * {@code max} model, an AMD model on any machine, which offers SVM with nested paging, so Debian's {@code kvm_amd}
     * loads (the machine's own {@code /dev/kvm} does not work, HOST-FACTS); a guest then runs at the speed of one level
     * of TCG, not TCG inside TCG. Then the operator's step for jailed guests: Debian's udev makes {@code /dev/kvm}
     * {@code 0660 root:kvm} (upstream systemd's default is {@code 0666}), and a guest's QEMU runs as its VM uid with no
     * supplementary groups (DESIGN.md §9), so it could not open the node its jail binds in.
     */
    static void enableKvm() throws IOException, InterruptedException {
        String module = Files.readString(Path.of("/proc/cpuinfo")).contains(" svm") ? "kvm_amd" : "kvm_intel";
        assertThat(new ProcessBuilder("modprobe", module).inheritIO().start().waitFor()).as("modprobe %s", module).isZero();
        // udev applies its mode to the new node after modprobe returns: wait for it, or it would undo the chmod
        assertThat(new ProcessBuilder("udevadm", "settle").inheritIO().start().waitFor()).as("udevadm settle").isZero();
        Path kvm = Path.of("/dev/kvm");
        assertThat(kvm).as("/dev/kvm after modprobe %s", module).exists();
        Files.setPosixFilePermissions(kvm, PosixFilePermissions.fromString("rw-rw-rw-"));
    }

    /**
     * A directory of test resources, from the test classpath: {@code target/test-classes} here, the payload's copy of
     * it in the lab (which carries no {@code src/}).
     */
    static Path testResource(String name) {
        try {
            return Path.of(java.util.Objects.requireNonNull(LabHost.class.getResource("/" + name), name + " on the test classpath").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
