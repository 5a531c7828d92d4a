package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.testing.ProductionKernel;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A guest confined by its generated AppArmor profile, in enforce mode, on a kernel where AppArmor is the active LSM
 * (issue 14; runs in the production-kernel lab), and charged to its own cgroup v2. The attack is the one the QEMU
 * security guide names: a compromised QEMU asks, over its own QMP socket, to open a file that is not its own. Another
 * VM's disk is made readable to everyone here on purpose, so that only AppArmor stands in the way (DAC would let it
 * through); the same command on the guest's own disk must work, or the denials would prove nothing.
 */
@ProductionKernel
@RequiresHost(tools = {"qemu-system-x86_64", "ip", "setpriv", "apparmor_parser", "dmesg"})
class GuestConfinementLabTest {

    private static final Duration QMP = Duration.ofSeconds(30);
    private ProbeHost host;
    private final List<GuestProcess> started = new ArrayList<>();

    @BeforeEach
    void createHost() throws IOException {
        host = new ProbeHost();
    }

    @AfterEach
    void removeAll() throws IOException {
        for (GuestProcess p : started) {
            if (!p.hasExited()) {
                p.kill();
            }
            p.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void qemuRunsUnderItsEnforcedProfileInItsOwnCgroupAndCannotOpenAnotherVmsDiskOrShadow() throws Exception {
        assertThat(AppArmorProfiles.available()).as("AppArmor enabled, apparmor_parser installed").isTrue();
        assertThat(ProbeHost.CGROUP_VERSION).isEqualTo(CgroupVersion.V2);
        Path disks = Files.createDirectories(host.imagesRoot.resolve("disks"));
        Path own = disks.resolve("own.img");
        Path other = disks.resolve("other.img");
        Files.write(own, new byte[1 << 20]);
        Files.write(other, new byte[1 << 20]);
        Witness.run("chown", "290002:290002", other.toString());
        // readable and writable by every uid: DAC alone would let this guest open it
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-rw-rw-"));

        ProbeHost.Probe probe = new ProbeHost.Probe("aa", 290001, 21, "22", "53", true, false);
        Guest guest = withDisk(host.guest(probe), own);
        AppArmorProfiles.Profile profile = AppArmorProfiles.render(guest, false);
        GuestLauncher.Launched launched = GuestLauncher.launch(guest, host.prepare(probe).withAppArmor(profile));
        started.add(launched.process());
        long pid = launched.process().pid();

        assertThat(Files.readString(Path.of("/proc/" + pid + "/attr/apparmor/current")).strip())
                .isEqualTo(profile.name() + " (enforce)");
        assertThat(Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))).containsExactly("0::/" + host.name + "/aa");
        // QEMU was in its cgroup before it allocated: what it allocates is charged there. Its anonymous memory, not
        // its whole RSS: file pages already in the page cache stay charged to the cgroup that read them first (in a
        // full lab run, after PackageInstallLabTest's QEMU, 32 MiB were charged against an RSS of 50 MiB)
        List<String> status = Files.readAllLines(Path.of("/proc/" + pid + "/status"));
        long rss = kib(status, "VmRSS:") * 1024;
        long anon = kib(status, "RssAnon:") * 1024;
        long charged = Long.parseLong(Files.readString(ProbeHost.memoryCgroup(host.name, "aa").resolve("memory.current")).strip());
        System.out.printf("MEASURE lab memory: QEMU RSS %d MiB (anonymous %d MiB), VM cgroup memory.current %d MiB%n",
                rss >> 20, anon >> 20, charged >> 20);
        assertThat(charged).as("memory.current vs QEMU's anonymous memory").isGreaterThan(anon * 8 / 10);

        try (QmpClient qmp = QmpClient.connect(Path.of(guest.launch().qmpSocket()), QMP)) {
            qmp.execute("blockdev-add", Map.of("driver", "file", "node-name", "own", "filename", own.toString()), QMP);
            assertThatThrownBy(() -> qmp.execute("blockdev-add",
                    Map.of("driver", "file", "node-name", "other", "filename", other.toString()), QMP))
                    .isInstanceOf(QmpException.CommandFailed.class).hasMessageContaining("Permission denied");
            assertThatThrownBy(() -> qmp.execute("blockdev-add",
                    Map.of("driver", "file", "node-name", "shadow", "filename", "/etc/shadow"), QMP))
                    .isInstanceOf(QmpException.CommandFailed.class).hasMessageContaining("Permission denied");
        }
        // the denial of the world-readable disk is AppArmor's, and the kernel's audit says so
        String audit = Witness.run("dmesg");
        List<String> denials = audit.lines().filter(l -> l.contains("apparmor=\"DENIED\"") && l.contains("profile=\"" + profile.name() + "\""))
                .toList();
        assertThat(denials).as("AppArmor's denial of %s in dmesg", other).anyMatch(l -> l.contains("name=\"" + other + "\""));
        // and nothing else of what QEMU does was denied: the profile does not get in the way of a working guest
        assertThat(denials).as("denials of anything else").allMatch(l -> l.contains("name=\"" + other + "\""));
    }

    /** {@code guest} with {@code disk} as one of its images (the profile grants it read-write; it is not attached). */
    private static Guest withDisk(Guest guest, Path disk) {
        GuestLaunch l = guest.launch();
        List<String> images = new ArrayList<>(l.images());
        images.add(disk.toString());
        GuestLaunch launch = new GuestLaunch(l.runDir(), l.qmpSocket(), l.serialSocket(), l.serialLog(), l.pidFile(), images,
                l.cgroupPath(), l.tap(), l.stopTimeout());
        return new Guest(guest.address(), guest.vm(), guest.group(), guest.uid(), guest.gid(), guest.argv(), guest.configDigest(),
                guest.config(), guest.state(), launch, guest.runtime());
    }

    private static long kib(List<String> status, String field) {
        return Long.parseLong(status.stream().filter(l -> l.startsWith(field)).findFirst().orElseThrow().replaceAll("\\D", ""));
    }
}
