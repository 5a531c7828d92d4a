package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

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
     * of TCG, not TCG inside TCG. No operator's step follows: Debian's udev makes {@code /dev/kvm} {@code 0660 root:kvm},
     * which a guest's QEMU (its VM uid, no supplementary groups) cannot open, and it needs not: its jail has a node of
     * its own, owned by the VM uid (DESIGN.md §9). The host's node is checked, not changed: nobody but root and its
     * group may open it, so a guest that runs proves the jail's node.
     */
    static void enableKvm() throws IOException, InterruptedException {
        String module = Files.readString(Path.of("/proc/cpuinfo")).contains(" svm") ? "kvm_amd" : "kvm_intel";
        assertThat(new ProcessBuilder("modprobe", module).inheritIO().start().waitFor()).as("modprobe %s", module).isZero();
        // udev applies its mode and group to the new node after modprobe returns: wait for it, then read them
        assertThat(new ProcessBuilder("udevadm", "settle").inheritIO().start().waitFor()).as("udevadm settle").isZero();
        Path kvm = Path.of("/dev/kvm");
        assertThat(kvm).as("/dev/kvm after modprobe %s", module).exists();
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(kvm);
        String group = Files.readAttributes(kvm, PosixFileAttributes.class).group().getName();
        System.out.println("LAB /dev/kvm is " + PosixFilePermissions.toString(mode) + " root:" + group + " (left as udev made it)");
        assertThat(mode).as("the host's /dev/kvm stays closed to other users")
                .doesNotContain(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
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
