package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Guest;
import io.qfence.platform.os.Jail;
import io.qfence.platform.os.JailLayout;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The guest jail (DESIGN.md §9, "The guest jail"), proven from outside and from inside QEMU's view on this machine's
 * kernel, with no AppArmor involved: two real probe guests (QEMU under TCG) in a private network namespace.
 */
@RequiresHost(tools = {"qemu-system-x86_64", "ip", "setpriv", "nsenter", "apt-get", "dpkg-deb", "cpio"})
class GuestJailTest {

    private static ProbeHost host;
    private static Guest guest;
    private static Guest neighbour;
    private static GuestLauncher.Launched launched;
    private static GuestLauncher.Launched other;

    @BeforeAll
    static void startTwoJailedGuests() throws IOException {
        host = new ProbeHost();
        ProbeHost.Probe a = ProbeHost.Probe.bridged("jail-a", 200131, 31);
        ProbeHost.Probe b = new ProbeHost.Probe("jail-b", 200132, 32, "22", "53", true, false); // user-mode networking
        guest = host.guest(a);
        neighbour = host.guest(b);
        launched = GuestLauncher.launch(guest, host.prepare(a).jailed());
        other = GuestLauncher.launch(neighbour, host.prepare(b).jailed());
    }

    /** Teardown leaves nothing: once the guests are gone, no process is in their mount namespaces, no mount is left. */
    @AfterAll
    static void stopAndRemove() throws IOException {
        List<String> namespaces = new ArrayList<>();
        for (GuestLauncher.Launched l : new GuestLauncher.Launched[] {launched, other}) {
            if (l != null) {
                namespaces.add(Files.readSymbolicLink(Path.of("/proc", Long.toString(l.process().pid()), "ns", "mnt")).toString());
                l.process().kill();
                l.process().awaitExit(Duration.ofSeconds(10));
                l.process().close();
            }
        }
        try {
            List<String> left = new ArrayList<>();
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        if (namespaces.contains(Files.readSymbolicLink(p.resolve("ns/mnt")).toString())) {
                            left.add(p.getFileName().toString());
                        }
                    } catch (IOException gone) {
                        // ended while we looked
                    }
                }
            }
            assertThat(left).as("processes still in a jail's mount namespace").isEmpty();
            assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"))).noneMatch(l -> l.contains(host.runRoot.toString()));
            assertThat(Files.readAllLines(Path.of("/proc/1/mountinfo"))).noneMatch(l -> l.contains(host.runRoot.toString()));
        } finally {
            if (host != null) {
                host.close();
            }
        }
    }

    private static long pid() {
        return launched.process().pid();
    }

    private static Path root() {
        return Path.of("/proc", Long.toString(pid()), "root");
    }

    @Test
    void theJailedGuestBootsAndReachesTheHostSideThroughItsTap() throws Exception {
        try (SerialConsole console = ProbeHost.console(guest)) {
            assertThat(console.run("ping -c 1 -W 2 " + host.subnetPrefix + "1", Duration.ofSeconds(10)).exitCode()).isZero();
        }
    }

    @Test
    void aJailedUserModeGuestBootsToItsShellToo() throws Exception {
        try (SerialConsole console = ProbeHost.console(neighbour)) {
            assertThat(console.run("echo up", Duration.ofSeconds(10)).exitCode()).isZero();
        }
    }

    @Test
    void qemuHasMountPidIpcAndUtsNamespacesOfItsOwnUnlikeTheHostAndTheOtherGuest() throws IOException {
        for (String kind : GuestJail.NAMESPACES) {
            String mine = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid()), "ns", kind)).toString();
            String hosts = Files.readSymbolicLink(Path.of("/proc/self/ns", kind)).toString();
            String others = Files.readSymbolicLink(Path.of("/proc", Long.toString(other.process().pid()), "ns", kind)).toString();
            assertThat(mine).as(kind).isNotEqualTo(hosts).isNotEqualTo(others);
        }
    }

    @Test
    void qemuIsPidOneAndTheOnlyProcessOfItsPidNamespace() throws IOException {
        assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status")))
                .anyMatch(l -> l.matches("NSpid:\\s+" + pid() + "\\s+1"));
        String ns = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid()), "ns", "pid")).toString();
        List<Long> members = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/pid")).toString().equals(ns)) {
                        members.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // a process that ended while we looked
                }
            }
        }
        assertThat(members).containsExactly(pid());
        // and from inside: its /proc lists itself only
        Witness.Result ps = Witness.tryRun("nsenter", "-t", Long.toString(pid()), "-m", "-p", "--", "/lib64/ld-linux-x86-64.so.2",
                "/usr/bin/qemu-system-x86_64", "--version");
        assertThat(ps.exitCode()).as("QEMU's own binary runs inside its jail: %s", ps.stderr()).isZero();
        try (Stream<Path> inside = Files.list(root().resolve("proc"))) {
            assertThat(inside.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).toList()).containsExactly("1");
        }
    }

    @Test
    void onlyTheAllowlistedPathsExistInQemusRoot() throws IOException {
        Path root = root();
        for (String absent : List.of("etc/shadow", "etc/passwd", "etc", "home", "root", "sys", "var", "dev/net/tun",
                "usr/bin/sh", "bin/sh", "usr/sbin", Jail.HOST_ROOT.toString().substring(1) + "/etc",
                relative(neighbour.launch().runDir()), relative(host.imagesRoot.toString()) + "/disks")) {
            assertThat(Files.exists(root.resolve(absent), LinkOption.NOFOLLOW_LINKS)).as(absent).isFalse();
        }
        for (String present : List.of("usr/bin/qemu-system-x86_64", "dev/null", "dev/urandom", relative(guest.launch().runDir()) + "/qmp.sock",
                relative(guest.launch().images().get(0)))) {
            assertThat(Files.exists(root.resolve(present), LinkOption.NOFOLLOW_LINKS)).as(present).isTrue();
        }
        // everything in the jail's root is the layout's: no file qfence did not put there
        List<String> found = new ArrayList<>();
        walk(root, root, found);
        List<String> allowed = new ArrayList<>(GuestJail.layout(guest).paths().stream().map(Path::toString).toList());
        allowed.addAll(List.of("/proc", Jail.HOST_ROOT.toString()));
        assertThat(found).allSatisfy(p -> assertThat(allowed.stream().anyMatch(a -> a.equals(p) || a.startsWith(p + "/")
                || p.startsWith(guest.launch().runDir() + "/"))).as(p).isTrue());
        assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid()), "mountinfo")))
                .noneMatch(l -> l.contains(" /etc ") || l.contains(Jail.HOST_ROOT.toString()));
    }

    /**
     * setpriv refuses {@code --apparmor-profile} when {@code /sys/kernel/security/apparmor} is missing, and the jail has
     * no {@code /sys}: a confined guest's jail holds that one path, as an empty directory (no mount, so the checks
     * before {@code cont} expect the same mounts). The start itself is proven where AppArmor runs: the lab's
     * {@code OomReportingLabTest} and {@code GuestTrafficLabTest}.
     */
    @Test
    void aConfinedGuestsJailHoldsOnlyTheEmptyDirectorySetprivChecksForAppArmorOfSys() {
        assertThat(GuestJail.layout(guest).paths()).noneMatch(p -> p.startsWith("/sys"));
        JailLayout confined = GuestJail.layout(guest, true);
        assertThat(confined.entries()).contains(new JailLayout.Directory(GuestJail.APPARMOR_MARKER));
        assertThat(confined.paths()).filteredOn(p -> p.startsWith("/sys")).containsExactly(GuestJail.APPARMOR_MARKER);
        assertThat(GuestJail.expectedMountPoints(confined)).isEqualTo(GuestJail.expectedMountPoints(GuestJail.layout(guest)));
    }

    @Test
    void theLaunchersOwnJailCheckPassesAndNamesEveryMount() {
        GuestJail.Observed observed = GuestJail.Observed.read(pid()).orElseThrow();
        assertThat(observed.mountPoints()).containsExactlyInAnyOrderElementsOf(GuestJail.expectedMountPoints(GuestJail.layout(guest)));
        assertThat(GuestJail.violations(launched.process().info().orElseThrow(), GuestJail.layout(guest))).isEmpty();
        assertThat(GuestJail.notJailed(pid())).as("observation's check").isEmpty();
    }

    @Test
    void overQmpQemuCannotOpenAnotherVmsFilesTheHostsFilesOrWriteOutsideItsRunDirectory() {
        String parent = Path.of(guest.launch().runDir()).getParent().toString();
        String otherFile = neighbour.launch().runDir() + "/qemu.log";
        Map<String, String> attempts = Map.of("other", otherFile, "passwd", "/etc/passwd", "parent", parent + "/" + neighbour.vm(),
                "image", host.imagesRoot + "/kernels/../../run/" + neighbour.vm() + "/serial.log");
        launched.process().withQmp(Duration.ofSeconds(10), qmp -> {
            attempts.forEach((id, file) -> {
                QmpException e = org.junit.jupiter.api.Assertions.assertThrows(QmpException.class, () -> qmp.execute("blockdev-add",
                        Map.of("driver", "file", "node-name", "x-" + id, "filename", file, "read-only", true), Duration.ofSeconds(10)));
                assertThat(e.getMessage()).as(file).contains("No such file or directory");
            });
            // its own files still open: the kernel it booted, read-only
            qmp.execute("blockdev-add", Map.of("driver", "file", "node-name", "own", "filename", guest.launch().images().get(0),
                    "read-only", true), Duration.ofSeconds(10));
            QmpException chardev = org.junit.jupiter.api.Assertions.assertThrows(QmpException.class, () -> qmp.execute("chardev-add",
                    Map.of("id", "leak", "backend", Map.of("type", "file", "data", Map.of("out", parent + "/leak"))), Duration.ofSeconds(10)));
            assertThat(chardev.getMessage()).containsAnyOf("Read-only file system", "No such file or directory", "Permission denied");
            return null;
        });
        assertThat(Path.of(parent, "leak")).doesNotExist();
        // the run directory's parent, as QEMU sees it, holds its own directory and nothing else
        try (Stream<Path> inside = Files.list(root().resolve(relative(parent)))) {
            assertThat(inside.map(p -> p.getFileName().toString()).toList()).containsExactly(guest.vm());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The jail's cost per start, printed for the report (nothing asserts speed): alternating starts to QMP's greeting. */
    @Test
    void measureTheJailsCostPerStart() throws IOException {
        List<Long> jailed = new ArrayList<>();
        List<Long> plain = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            boolean jail = i % 2 == 0;
            ProbeHost.Probe p = new ProbeHost.Probe("jm-" + i, 200140 + i, 40 + i, "22", "53", true, false);
            Guest g = host.guest(p);
            GuestLauncher.Options options = host.prepare(p);
            long t0 = System.nanoTime();
            GuestLauncher.Launched l = GuestLauncher.launch(g, jail ? options.jailed() : options);
            (jail ? jailed : plain).add((System.nanoTime() - t0) / 1_000_000);
            l.process().kill();
            l.process().awaitExit(Duration.ofSeconds(10));
            l.process().close();
        }
        System.out.printf("MEASURE jail cost: launch to running (ms), jailed %s, without %s; load %s%n", jailed, plain,
                Files.readString(Path.of("/proc/loadavg")).strip());
    }

    private static String relative(String absolute) {
        return absolute.substring(1);
    }

    private static void walk(Path root, Path dir, List<String> found) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                String inJail = "/" + root.relativize(p);
                found.add(inJail);
                if (inJail.equals("/proc") || inJail.startsWith("/proc/")) {
                    continue;
                }
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    walk(root, p, found);
                }
            }
        }
    }
}
