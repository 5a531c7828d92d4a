package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.ConfinementLayers;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestConfinement;
import io.qfence.platform.os.ProcConfinement;
import io.qfence.platform.os.Jail;
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
import java.util.Optional;
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

    @Test
    void theLaunchersOwnJailCheckPassesAndNamesEveryMount() {
        GuestJail.Observed observed = GuestJail.Observed.read(pid()).orElseThrow();
        assertThat(observed.mountPoints()).containsExactlyInAnyOrderElementsOf(GuestJail.expectedMountPoints(GuestJail.layout(guest)));
        assertThat(GuestJail.violations(launched.process().info().orElseThrow(), GuestJail.layout(guest), List.of(neighbourPeer()))).isEmpty();
        assertThat(GuestJail.notJailed(pid())).as("observation's check").isEmpty();
    }

    private static GuestJail.Peer neighbourPeer() {
        return new GuestJail.Peer(neighbour.vm(), other.process().pid(), other.process().info().orElseThrow().startTime());
    }

    /**
     * The cgroup namespace (DESIGN.md §9): where the kernel has them, QEMU has one of its own, rooted at its VM
     * cgroups, so that from inside every line of its {@code /proc/self/cgroup} reads {@code /}; from the host its
     * cgroups are still the VM's (it joined them before the namespace was made), and the namespace is neither
     * qfence's nor the other guest's.
     */
    @Test
    void qemuHasACgroupNamespaceOfItsOwnRootedAtItsVmCgroupsWhichItJoinedFirst() throws IOException {
        assertThat(GuestJail.cgroupNamespaces()).as("this kernel has cgroup namespaces").isTrue();
        String mine = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid()), "ns", "cgroup")).toString();
        assertThat(mine).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/cgroup")).toString())
                .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc", Long.toString(other.process().pid()), "ns", "cgroup")).toString());
        // read as QEMU reads it: /proc/PID/cgroup is shown relative to the reader's cgroup namespace, so read it from in there
        Witness.Result inside = Witness.tryRun("nsenter", "-t", Long.toString(pid()), "-C", "--", "cat", "/proc/" + pid() + "/cgroup");
        assertThat(inside.exitCode()).as(inside.stderr()).isZero();
        assertThat(inside.stdout().lines().toList()).isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(":/"));
        String cgroup = "/" + guest.launch().cgroupPath().replaceAll("^/+", "");
        assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid()), "cgroup"))).as("from the host: its VM cgroups")
                .anyMatch(l -> l.endsWith(":" + cgroup));
        assertThat(GuestJail.Observed.read(pid()).orElseThrow().namespaces()).containsEntry("cgroup", mine);
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

    /**
     * The check before {@code cont} compares the jail's namespaces with every other guest's, read from the pid and
     * start time each was recorded with. A second guest forced into the first one's IPC namespace (the seam: a process
     * that {@code nsenter}s it, standing in for that guest under its recorded pid) fails the check, naming the guest
     * and its pid; the same pid with another start time (a reused pid) is not that guest and is not compared.
     */
    @Test
    void theJailCheckNamesAnotherGuestThatSharesOneOfTheGuestsNamespaces() throws Exception {
        Process joined = new ProcessBuilder("nsenter", "-t", Long.toString(pid()), "-i", "--", "sleep", "60").start();
        try {
            Path ns = Path.of("/proc", Long.toString(joined.pid()), "ns", "ipc");
            String guests = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid()), "ns", "ipc")).toString();
            for (int i = 0; i < 200 && !(Files.exists(ns) && Files.readSymbolicLink(ns).toString().equals(guests)); i++) {
                joined.waitFor(50, java.util.concurrent.TimeUnit.MILLISECONDS); // nsenter has not exec'd sleep yet
            }
            long startTime = io.qfence.platform.os.ProcessInfo.read(joined.pid()).orElseThrow().startTime();
            GuestJail.Peer forced = new GuestJail.Peer("jail-x", joined.pid(), startTime);
            assertThat(GuestJail.violations(launched.process().info().orElseThrow(), GuestJail.layout(guest), List.of(neighbourPeer(), forced)))
                    .containsExactly("shares its ipc namespace (" + guests + ") with guest jail-x (pid " + joined.pid() + ")");
            GuestJail.Peer reused = new GuestJail.Peer("jail-x", joined.pid(), startTime + 1);
            assertThat(GuestJail.violations(launched.process().info().orElseThrow(), GuestJail.layout(guest), List.of(reused)))
                    .as("a pid now someone else's is not the guest recorded").isEmpty();
        } finally {
            joined.destroyForcibly().waitFor();
        }
        assertThat(GuestJail.violations(launched.process().info().orElseThrow(), GuestJail.layout(guest), List.of(neighbourPeer()))).isEmpty();
    }

    /** The guest as a host with {@code confinement.namespaces: required} realizes it: jailed, AppArmor off (none here). */
    /**
     * A KVM guest's jail has a {@code /dev/kvm} of its own (DESIGN.md §9): a character device with the host's
     * major:minor, owned by the VM's uid, mode 0600, on a read-only {@code /dev} tmpfs that is nosuid and noexec; the
     * VM's uid opens it there (QEMU holds it, and a second open succeeds), while with no groups it cannot open the host's
     * node under Debian's rules (a copy of them, {@code 0660 root:kvm}, made beside a {@code 0666} control), and the
     * host's node is left as it was. KVM itself does not work on this machine, but QEMU at {@code -accel kvm} opens
     * the node and answers QMP. A TCG guest's jail has no {@code /dev/kvm}.
     */
    @Test
    void aKvmGuestsJailHasItsOwnKvmNodeForTheVmUidAndTheHostsNodeStaysClosedToIt() throws Exception {
        Path hostKvm = Path.of("/dev/kvm");
        java.util.Map<String, Object> before = Files.readAttributes(hostKvm, "unix:mode,uid,gid,rdev", LinkOption.NOFOLLOW_LINKS);
        ProbeHost.Probe p = new ProbeHost.Probe("jail-kvm", 200138, 38, "22", "53", true, false);
        Guest tcg = host.guest(p);
        List<String> argv = new ArrayList<>(tcg.argv());
        argv.set(argv.indexOf("-accel") + 1, "kvm");
        Guest kvm = jailedConfig(new Guest(tcg.address(), tcg.vm(), tcg.group(), tcg.uid(), tcg.gid(), argv,
                io.qfence.model.ConfigDigest.of(argv), tcg.config(), tcg.state(), tcg.launch(), tcg.runtime()));
        GuestLauncher.Launched l = GuestLauncher.launch(kvm, host.prepare(p).jailed());
        Path scratch = Files.createTempDirectory("qfence-h8-kvm-");
        try {
            long pid = l.process().pid();
            Path inJail = Path.of("/proc", Long.toString(pid), "root", "dev", "kvm");
            java.util.Map<String, Object> node = Files.readAttributes(inJail, "unix:mode,uid,gid,rdev", LinkOption.NOFOLLOW_LINKS);
            assertThat((Integer) node.get("mode") & 0170000).as("a character device").isEqualTo(0020000);
            assertThat(node.get("rdev")).as("the host's major:minor").isEqualTo(before.get("rdev"));
            assertThat(node.get("uid")).as("owner").isEqualTo(200138);
            assertThat(node.get("gid")).as("group").isEqualTo(200138);
            assertThat((Integer) node.get("mode") & 07777).as("mode").isEqualTo(0600);
            assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid), "mountinfo")))
                    .filteredOn(line -> line.split(" ")[4].equals("/dev")).singleElement()
                    .satisfies(line -> assertThat(List.of(line.split(" ")[5].split(","))).contains("ro", "nosuid", "noexec").doesNotContain("nodev"))
                    .satisfies(line -> assertThat(line).contains(" - tmpfs "));
            List<String> open = new ArrayList<>();
            try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                for (Path fd : fds.toList()) {
                    open.add(Files.readSymbolicLink(fd).toString());
                }
            }
            assertThat(open).as("QEMU, as the VM's uid, opened its jail's node").contains("/dev/kvm");
            assertThat(openAs(200138, inJail)).as("the VM uid opens the jail's node").isZero();

            // the host side, under a copy of Debian's rules (never by changing the host's node)
            Files.setPosixFilePermissions(scratch, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            long kvmGroup = Witness.tryRun("getent", "group", "kvm").stdout().lines().findFirst()
                    .map(g -> Long.parseLong(g.split(":")[2])).orElse(0L);
            Path debian = copyOfNode(scratch.resolve("kvm-debian"), (Long) before.get("rdev"), "660", 0, kvmGroup);
            Path open666 = copyOfNode(scratch.resolve("kvm-0666"), (Long) before.get("rdev"), "666", 0, 0);
            assertThat(openAs(200138, open666)).as("control: the scratch node opens at 0666, so the refusal below is the mode's").isZero();
            assertThat(openAs(200138, debian)).as("a VM uid with no groups and Debian's 0660 root:kvm").isNotZero();
            assertThat(openAs(200138, hostKvm)).as("the host's own /dev/kvm").isNotZero();
        } finally {
            l.process().kill();
            l.process().awaitExit(Duration.ofSeconds(10));
            l.process().close();
            Witness.tryRun("rm", "-rf", scratch.toString());
        }
        assertThat(Files.readAttributes(hostKvm, "unix:mode,uid,gid,rdev", LinkOption.NOFOLLOW_LINKS)).as("the host's /dev/kvm is untouched")
                .isEqualTo(before);
        assertThat(root().resolve("dev/kvm")).as("a TCG guest's jail has no /dev/kvm").doesNotExist();
    }

    private static Path copyOfNode(Path path, long rdev, String mode, long uid, long gid) {
        long major = ((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL);
        long minor = ((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL);
        Witness.Result made = Witness.tryRun("mknod", "-m", mode, path.toString(), "c", Long.toString(major), Long.toString(minor));
        assertThat(made.exitCode()).as("mknod %s: %s", path, made.stderr()).isZero();
        assertThat(Witness.tryRun("chown", uid + ":" + gid, path.toString()).exitCode()).isZero();
        return path;
    }

    /** The exit code of opening {@code path} read-write as {@code uid} with no groups. */
    private static int openAs(long uid, Path path) {
        return Witness.tryRun("setpriv", "--reuid", Long.toString(uid), "--regid", Long.toString(uid), "--clear-groups", "--",
                "/bin/sh", "-c", "exec 3<> \"$1\"", "sh", path.toString()).exitCode();
    }

    private static Guest jailedConfig(Guest g) {
        java.util.TreeMap<String, String> config = new java.util.TreeMap<>(g.config());
        config.put(GuestJail.CONFIG_KEY, GuestJail.CONFIG_JAILED);
        config.put("apparmor", "off");
        return new Guest(g.address(), g.vm(), g.group(), g.uid(), g.gid(), g.argv(), g.configDigest(), config, g.state(), g.launch(), g.runtime());
    }

    /**
     * The confinement report (DESIGN.md §9), read from /proc of the two running jailed guests: every layer their host
     * requires is there, and their jail's namespaces differ from the host's and from each other's; the network
     * namespace they both have (the managed one) is shown as shared, so sharing between guests is seen.
     */
    @Test
    void theConfinementReportOfJailedGuestsShowsEveryLayerAndNamespacesOfTheirOwn() {
        Guest g = jailedConfig(guest);
        Guest n = jailedConfig(neighbour);
        Map<String, GuestConfinement> read = new java.util.TreeMap<>();
        read.put(g.vm(), ProcConfinement.LIVE.read(pid(), g.launch()).orElseThrow());
        read.put(n.vm(), ProcConfinement.LIVE.read(other.process().pid(), n.launch()).orElseThrow());
        Map<String, GuestConfinement> report = ConfinementLayers.shared(read);
        report.forEach((vm, c) -> System.out.println("MEASURE confinement " + vm + ": " + io.qfence.verify.ConfinementText.line(c)));

        assertThat(ConfinementLayers.missing(g, Optional.of(report.get(g.vm())))).isEmpty();
        assertThat(ConfinementLayers.missing(n, Optional.of(report.get(n.vm())))).isEmpty();
        GuestConfinement c = report.get(g.vm());
        assertThat(c.uids()).containsOnly(g.uid());
        assertThat(c.seccompMode()).isEqualTo(2);
        assertThat(c.seccompFilters().orElse(1)).isPositive();
        assertThat(c.apparmor()).isEqualTo(GuestConfinement.UNCONFINED);
        for (String kind : ConfinementLayers.JAIL_NAMESPACES) {
            assertThat(c.namespaces().get(kind).own()).as(kind).isTrue();
        }
        assertThat(c.namespaces().get("net").sharedWith()).as("both guests are in the managed network namespace").containsExactly(n.vm());
        assertThat(c.namespaces().get("cgroup").own()).as("a cgroup namespace of its own (DESIGN.md §9)").isTrue();
        assertThat(c.root().jail()).isTrue();
        assertThat(c.root().mounts()).isEqualTo(GuestJail.expectedMountPoints(GuestJail.layout(guest)).size());
        assertThat(c.descriptors().kinds()).containsEntry("tap", 1);
        assertThat(c.descriptors().outside()).isEmpty();
        assertThat(report.get(n.vm()).descriptors().kinds()).doesNotContainKey("tap");
    }

    /**
     * Deliberately broken: a guest whose host requires the jail, launched without it (the launcher's options lack
     * {@code jailed()}). The report read from /proc names exactly the two layers it lacks.
     */
    @Test
    void aGuestLaunchedWithoutItsJailLacksItsNamespacesAndItsRoot() throws IOException {
        ProbeHost.Probe p = new ProbeHost.Probe("jail-off", 200139, 39, "22", "53", true, false);
        Guest g = jailedConfig(host.guest(p));
        GuestLauncher.Launched l = GuestLauncher.launch(g, host.prepare(p));
        try {
            GuestConfinement c = ProcConfinement.LIVE.read(l.process().pid(), g.launch()).orElseThrow();
            System.out.println("MEASURE confinement jail-off: " + io.qfence.verify.ConfinementText.line(c));
            List<ConfinementLayers.MissingLayer> missing = ConfinementLayers.missing(g, Optional.of(c));
            assertThat(missing).extracting(ConfinementLayers.MissingLayer::layer)
                    .containsExactly(ConfinementLayers.Layer.NAMESPACES, ConfinementLayers.Layer.ROOT);
            assertThat(missing.get(0).message()).startsWith("jail-off lacks namespaces: found mnt:[").contains("] shared with the host; ipc:[")
                    .contains("; cgroup:[");
        } finally {
            l.process().kill();
            l.process().awaitExit(Duration.ofSeconds(10));
            l.process().close();
        }
    }

    /**
     * The jail's cost per start, printed for the report (nothing asserts speed): alternating starts, launch to running,
     * with where each jailed start spent the jail's own time. The listings come from a state directory's cache, as
     * in qfence (the first start of this test fills it).
     */
    @Test
    void measureTheJailsCostPerStart() throws IOException {
        List<Long> jailed = new ArrayList<>();
        List<Long> plain = new ArrayList<>();
        List<String> phases = new ArrayList<>();
        Path state = Files.createDirectories(host.base.resolve("measure-state"));
        for (int i = 0; i < 10; i++) {
            boolean jail = i % 2 == 0;
            ProbeHost.Probe p = new ProbeHost.Probe("jm-" + i, 200140 + i, 40 + i, "22", "53", true, false);
            Guest g = host.guest(p);
            GuestLauncher.Options options = host.prepare(p);
            long t0 = System.nanoTime();
            GuestLauncher.Launched l = GuestLauncher.launch(g, jail ? options.jailed(state) : options);
            (jail ? jailed : plain).add((System.nanoTime() - t0) / 1_000_000);
            l.jail().ifPresent(t -> phases.add(t.describe()));
            l.process().kill();
            l.process().awaitExit(Duration.ofSeconds(10));
            l.process().close();
        }
        System.out.printf("MEASURE jail cost: launch to running (ms), jailed %s, without %s; load %s%n", jailed, plain,
                Files.readString(Path.of("/proc/loadavg")).strip());
        phases.forEach(line -> System.out.println("MEASURE " + line));
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
