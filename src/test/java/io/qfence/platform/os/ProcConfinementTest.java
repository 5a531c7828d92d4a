package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.GuestConfinement;
import io.qfence.model.host.GuestLaunch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The confinement report's parsing of {@code /proc}, on fixtures copied from a jailed and an unjailed QEMU of this
 * machine (kernel 6.18, no AppArmor): what each field becomes, and what counts as a descriptor outside the guest.
 */
class ProcConfinementTest {

    static final GuestLaunch LAUNCH = new GuestLaunch("/run/qfence/web-01", "/run/qfence/web-01/qmp.sock", "/run/qfence/web-01/serial.sock",
            "/run/qfence/web-01/serial.log", "/run/qfence/web-01/qemu.pid", List.of("/var/lib/qfence/images/kernels/vmlinuz",
            "/var/lib/qfence/images/disks/web-01.qcow2"), "qfence/web/web-01", Optional.of("qft-web-01"), Duration.ofSeconds(30));

    static final String JAILED_STATUS = """
            Name:\tqemu-system-x86
            Umask:\t0077
            State:\tS (sleeping)
            Tgid:\t4242
            NSpid:\t4242\t1
            Uid:\t20001\t20001\t20001\t20001
            Gid:\t20001\t20001\t20001\t20001
            Groups:\t
            CapInh:\t0000000000000000
            CapPrm:\t0000000000000000
            CapEff:\t0000000000000000
            CapBnd:\t0000000000000000
            CapAmb:\t0000000000000000
            NoNewPrivs:\t1
            Seccomp:\t2
            Seccomp_filters:\t1
            """;

    static final String JAILED_MOUNTINFO = """
            812 27 0:93 / / ro,nosuid,nodev,noexec,relatime - tmpfs tmpfs ro,mode=755
            813 812 254:0 /usr/bin/qemu-system-x86_64 /usr/bin/qemu-system-x86_64 ro,nosuid,nodev,relatime - ext4 /dev/vda rw
            814 812 254:0 /run/qfence/web-01 /run/qfence/web-01 rw,nosuid,nodev,noexec,relatime - ext4 /dev/vda rw
            815 812 0:94 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw,hidepid=invisible,subset=pid
            """;

    @TempDir
    Path proc;

    @Test
    void aJailedQemuShowsItsIdsNoCapabilitiesSeccompWithItsFilterOwnNamespacesAndATmpfsRoot() throws IOException {
        host();
        Path pid = process(4242, JAILED_STATUS, JAILED_MOUNTINFO, Map.of("mnt", 4026532801L, "pid", 4026532803L, "ipc", 4026532802L,
                "uts", 4026532800L, "net", 4026532001L, "cgroup", 4026531835L));
        fds(pid, Map.of("0", "/dev/null", "1", "/run/qfence/web-01/qemu.log", "2", "/run/qfence/web-01/qemu.log", "3", "/dev/net/tun",
                "4", "anon_inode:[eventfd]", "5", "socket:[91011]", "6", "/var/lib/qfence/images/kernels/vmlinuz", "7", "pipe:[1213]",
                "8", "/memfd:qemu-ram (deleted)"));

        GuestConfinement c = new ProcConfinement(proc).read(4242, LAUNCH).orElseThrow();

        assertThat(c.uids()).containsExactly(20001L, 20001L, 20001L, 20001L);
        assertThat(c.groups()).isEmpty();
        assertThat(c.capabilities().none()).isTrue();
        assertThat(c.noNewPrivs()).isTrue();
        assertThat(c.seccompMode()).isEqualTo(2);
        assertThat(c.seccompFilters()).isEqualTo(OptionalInt.of(1));
        assertThat(c.apparmor()).isEqualTo("unconfined");
        assertThat(c.namespaces().get("mnt")).isEqualTo(new GuestConfinement.Namespace(4026532801L, false, List.of()));
        assertThat(c.namespaces().get("net").host()).as("a bridged guest stays in the managed network namespace, here qfence's").isTrue();
        assertThat(c.namespaces().get("cgroup").host()).isTrue();
        assertThat(c.root()).isEqualTo(new GuestConfinement.Root(true, "tmpfs", 4, false));
        assertThat(c.cgroups()).containsExactly("4:memory:/qfence/web/web-01", "0::/");
        assertThat(c.descriptors().count()).isEqualTo(9);
        assertThat(c.descriptors().kinds()).containsExactlyInAnyOrderEntriesOf(Map.of("device", 1, "file", 3, "tap", 1, "anon_inode", 1,
                "socket", 1, "pipe", 1, "memfd", 1));
        assertThat(c.descriptors().outside()).isEmpty();
    }

    @Test
    void anUnjailedQemuSharesTheHostsNamespacesAndRootAndAFileOutsideItsDirectoriesIsReported() throws IOException {
        host();
        Path pid = process(4343, JAILED_STATUS.replace("Seccomp:\t2", "Seccomp:\t0").replace("Seccomp_filters:\t1", "Seccomp_filters:\t0")
                        .replace("NoNewPrivs:\t1", "NoNewPrivs:\t0").replace("Groups:\t", "Groups:\t27 100"),
                "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n28 27 0:5 / /proc rw - proc proc rw\n",
                Map.of("mnt", 4026531832L, "pid", 4026531836L, "ipc", 4026531839L, "uts", 4026531838L));
        fds(pid, Map.of("0", "/dev/null", "3", "/dev/net/tun", "9", "/etc/shadow", "10", "/run/qfence/web-02/disk.img",
                "11", "/run/qfence/web-01/../web-02/qmp.sock", "12", "/dev/pts/0"));
        Files.writeString(pid.resolve("attr/current"), "unconfined\n");

        GuestConfinement c = new ProcConfinement(proc).read(4343, LAUNCH).orElseThrow();

        assertThat(c.seccompMode()).isZero();
        assertThat(c.noNewPrivs()).isFalse();
        assertThat(c.groups()).containsExactly(27L, 100L);
        assertThat(c.namespaces()).allSatisfy((kind, ns) -> assertThat(ns.host()).as(kind).isTrue());
        assertThat(c.namespaces()).doesNotContainKeys("net", "cgroup");
        assertThat(c.root()).isEqualTo(new GuestConfinement.Root(false, "ext4", 2, false));
        assertThat(c.descriptors().outside()).containsExactly("9 -> /etc/shadow", "10 -> /run/qfence/web-02/disk.img",
                "11 -> /run/qfence/web-01/../web-02/qmp.sock", "12 -> /dev/pts/0");
    }

    @Test
    void theHostsRootLeftMountedInTheJailIsNoJail() throws IOException {
        host();
        process(4444, JAILED_STATUS, JAILED_MOUNTINFO + "816 812 254:0 / /.qfence-host-root rw - ext4 /dev/vda rw\n",
                Map.of("mnt", 4026532901L));
        GuestConfinement.Root root = new ProcConfinement(proc).read(4444, LAUNCH).orElseThrow().root();
        assertThat(root.jail()).isFalse();
        assertThat(root.hostRoot()).isTrue();
    }

    @Test
    void anAppArmorLabelIsReadFromTheStackedFileFirst() throws IOException {
        host();
        Path pid = process(4545, JAILED_STATUS, JAILED_MOUNTINFO, Map.of("mnt", 4026532911L));
        Files.createDirectories(pid.resolve("attr/apparmor"));
        Files.writeString(pid.resolve("attr/apparmor/current"), "qfence.web.web-01 (enforce)\n");
        Files.writeString(pid.resolve("attr/current"), "something else\n");
        assertThat(new ProcConfinement(proc).read(4545, LAUNCH).orElseThrow().apparmor()).isEqualTo("qfence.web.web-01 (enforce)");
    }

    @Test
    void aProcessThatHasEndedHasNoReport() {
        assertThat(new ProcConfinement(proc).read(99999, LAUNCH)).isEmpty();
    }

    @Test
    void descriptorKindsFromTheirLinks() {
        assertThat(ProcConfinement.kind("socket:[1]")).isEqualTo("socket");
        assertThat(ProcConfinement.kind("/dev/net/tun")).isEqualTo("tap");
        assertThat(ProcConfinement.kind("/dev/kvm")).isEqualTo("device");
        assertThat(ProcConfinement.kind("/memfd:x (deleted)")).isEqualTo("memfd");
        assertThat(ProcConfinement.kind("anon_inode:[signalfd]")).isEqualTo("anon_inode");
        assertThat(ProcConfinement.kind("net:[4026531833]")).isEqualTo("other");
        assertThat(ProcConfinement.allowed("/run/qfence/web-01/qemu.log (deleted)", LAUNCH)).isTrue();
        assertThat(ProcConfinement.allowed("/run/qfence/web-01", LAUNCH)).as("the directory itself is not a file in it").isFalse();
        assertThat(ProcConfinement.allowed("/run/qfence/web-010/x", LAUNCH)).isFalse();
    }

    /** qfence's own namespaces: the host's. */
    private void host() throws IOException {
        Path ns = Files.createDirectories(proc.resolve("self/ns"));
        Map.of("mnt", 4026531832L, "pid", 4026531836L, "ipc", 4026531839L, "uts", 4026531838L, "net", 4026532001L, "cgroup", 4026531835L)
                .forEach((kind, inode) -> link(ns.resolve(kind), kind + ":[" + inode + "]"));
    }

    private Path process(long pid, String status, String mountinfo, Map<String, Long> namespaces) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(dir.resolve("status"), status);
        Files.writeString(dir.resolve("mountinfo"), mountinfo);
        Files.writeString(dir.resolve("cgroup"), "4:memory:/qfence/web/web-01\n0::/\n");
        Files.createDirectories(dir.resolve("attr"));
        Files.createDirectories(dir.resolve("ns"));
        Files.createDirectories(dir.resolve("fd"));
        namespaces.forEach((kind, inode) -> link(dir.resolve("ns").resolve(kind), kind + ":[" + inode + "]"));
        return dir;
    }

    private static void fds(Path pid, Map<String, String> fds) {
        fds.forEach((fd, target) -> link(pid.resolve("fd").resolve(fd), target));
    }

    private static void link(Path link, String target) {
        try {
            Files.createSymbolicLink(link, Path.of(target));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
