package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.ConfigDigest;
import io.qfence.model.host.Guest;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real probe guests (QEMU under TCG) launched through the whole chain, in a private network namespace and cgroup
 * subtree. Timings are printed as {@code MEASURE} lines for the report; nothing asserts speed.
 */
@RequiresHost(tools = {"qemu-system-x86_64", "ip", "setpriv", "apt-get", "dpkg-deb", "cpio"})
class GuestLauncherTest {

    static final Duration BOOT = Duration.ofSeconds(60);
    private static ProbeHost host;
    private final List<GuestProcess> started = new ArrayList<>();

    @BeforeAll
    static void createHost() throws IOException {
        host = new ProbeHost();
    }

    @AfterAll
    static void removeHost() throws IOException {
        if (host != null) {
            host.close();
        }
    }

    @AfterEach
    void killWhatIsLeft() {
        for (GuestProcess p : started) {
            if (!p.hasExited()) {
                p.kill();
            }
            p.close();
        }
    }

    private GuestLauncher.Launched launch(ProbeHost.Probe probe) throws IOException {
        Guest guest = host.guest(probe);
        GuestLauncher.Launched launched = GuestLauncher.launch(guest, host.prepare(probe));
        started.add(launched.process());
        return launched;
    }

    @Test
    void guestRunsUnprivilegedConfinedAndPlacedWithItsNetworkThroughTheInheritedTap() throws Exception {
        ProbeHost.Probe probe = ProbeHost.Probe.bridged("conf", 200123, 11);
        Guest guest = host.guest(probe);
        GuestLauncher.Launched launched = launch(probe);
        GuestProcess process = launched.process();
        long pid = process.pid();

        ProcessInfo info = ProcessInfo.read(pid).orElseThrow();
        List<String> status = Files.readAllLines(Path.of("/proc/" + pid + "/status"));
        assertThat(status).contains("Uid:\t200123\t200123\t200123\t200123", "Gid:\t200123\t200123\t200123\t200123",
                "NoNewPrivs:\t1", "Seccomp:\t2", "CapEff:\t0000000000000000", "CapPrm:\t0000000000000000",
                "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000");
        assertThat(status).anyMatch(l -> l.matches("Groups:\\s*"));
        assertThat(info.sessionId()).as("own session").isEqualTo(pid);
        assertThat(info.cmdline()).isEqualTo(guest.argv());
        for (String controller : ProbeHost.CONTROLLERS) {
            assertThat(Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")))
                    .anyMatch(l -> l.matches("\\d+:[a-z,]*\\b" + controller + "\\b[a-z,]*:/" + host.name + "/conf"));
        }

        // The monitor: a UNIX socket in a 0700 directory owned by the VM; no TCP listener anywhere in the namespace.
        Path runDir = Path.of(guest.launch().runDir());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(runDir, LinkOption.NOFOLLOW_LINKS))).isEqualTo("rwx------");
        assertThat(Files.getAttribute(runDir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(200123);
        assertThat(Files.readAttributes(Path.of(guest.launch().qmpSocket()), java.nio.file.attribute.BasicFileAttributes.class).isOther()).isTrue();
        for (String table : List.of("tcp", "tcp6")) {
            assertThat(Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table)).stream().skip(1)
                    .map(l -> l.trim().split("\\s+")[3])).as("TCP sockets in LISTEN state (0A)").doesNotContain("0A");
        }
        List<String> fdTargets = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                fdTargets.add(fd.getFileName() + "->" + Files.readSymbolicLink(fd));
            }
        }
        // Classify QEMU's sockets by the protocol table that lists their inode (read after the fds, so none is
        // missed): none may be TCP. (QEMU may hold other sockets, e.g. an AF_INET datagram socket for interface
        // ioctls; what matters is that it has no TCP socket and nothing listening but its UNIX sockets.)
        java.util.Map<String, String> kinds = socketKinds(pid);
        List<String> socketKinds = fdTargets.stream().filter(t -> t.contains("->socket:["))
                .map(t -> t.substring(t.indexOf('[') + 1, t.length() - 1)).map(inode -> kinds.getOrDefault(inode, "closed")).toList();
        System.out.println("MEASURE sockets of QEMU: " + socketKinds);
        assertThat(socketKinds).doesNotContain("tcp", "tcp6").contains("unix");
        // /dev/net/tun: exactly the inherited tap, as fd 3. QEMU could not open it itself (mode 0600 root, no caps);
        // this shows it did not try by another path either.
        assertThat(fdTargets.stream().filter(t -> t.endsWith("->/dev/net/tun"))).containsExactly("3->/dev/net/tun");
        assertThat(Files.readString(Path.of("/proc/" + pid + "/fdinfo/3"))).contains("iff:\tqft-conf");

        // The network works through the passed descriptor: host side to guest, and guest to host side.
        String guestIp = host.ipOf(probe);
        long bootStart = System.nanoTime();
        try (SerialConsole console = ProbeHost.console(guest)) {
            long shellReady = System.nanoTime();
            assertThat(host.ns.call(() -> InetAddress.getByName(guestIp).isReachable(2000))).as("ICMP echo to the guest").isTrue();
            String banner = host.ns.call(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(guestIp, 5432), 2000);
                    s.setSoTimeout(2000);
                    return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
                }
            });
            assertThat(banner).isEqualTo("QF-TCP-OK");
            SerialConsole.Result ping = console.run("ping -c 1 -W 2 " + host.subnetPrefix + "1", Duration.ofSeconds(10));
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            assertThat(console.run("nc -w 1 " + host.subnetPrefix + "1 9 </dev/null", Duration.ofSeconds(10)).exitCode())
                    .as("a closed port is reported as such").isNotZero();
            System.out.printf("MEASURE boot: spawn->QMP greeting %d ms, spawn->running (checks+cont) %d ms, cont->shell+network %d ms%n",
                    launched.untilQmp().toMillis(), launched.untilRunning().toMillis(), (shellReady - bootStart) / 1_000_000);
        }

        // Memory is charged to the VM's cgroup: it was there before QEMU allocated anything.
        long rss = kib(status(pid, "VmRSS")) * 1024;
        long charged = Long.parseLong(Files.readString(ProbeHost.CGROUP_ROOT.resolve("memory").resolve(host.name).resolve("conf")
                .resolve("memory.usage_in_bytes")).strip());
        System.out.printf("MEASURE memory: QEMU RSS %d MiB, VM cgroup memory.usage_in_bytes %d MiB%n", rss >> 20, charged >> 20);
        assertThat(charged).as("cgroup charge vs RSS").isGreaterThan(rss * 8 / 10);
    }

    @Test
    void fourGuestsStartInParallelAndEachReachesTheHostSide() throws Exception {
        List<ProbeHost.Probe> probes = List.of(ProbeHost.Probe.bridged("par-1", 200151, 51), ProbeHost.Probe.bridged("par-2", 200152, 52),
                ProbeHost.Probe.bridged("par-3", 200153, 53), ProbeHost.Probe.bridged("par-4", 200154, 54));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(probes.size());
        try {
            long start = System.nanoTime();
            List<java.util.concurrent.Future<Long>> ready = new ArrayList<>();
            for (ProbeHost.Probe probe : probes) {
                GuestLauncher.Options options = host.prepare(probe);
                ready.add(pool.submit(() -> {
                    Guest guest = host.guest(probe);
                    GuestLauncher.Launched launched = GuestLauncher.launch(guest, options);
                    System.out.printf("MEASURE parallel %s: spawn->QMP greeting %d ms, spawn->running %d ms%n", probe.vm(),
                            launched.untilQmp().toMillis(), launched.untilRunning().toMillis());
                    synchronized (started) {
                        started.add(launched.process());
                    }
                    try (SerialConsole console = ProbeHost.console(guest)) {
                        SerialConsole.Result ping = console.run("ping -c 1 -W 2 " + host.subnetPrefix + "1", Duration.ofSeconds(10));
                        assertThat(ping.exitCode()).as(ping.output()).isZero();
                    }
                    return System.nanoTime();
                }));
            }
            long last = 0;
            for (java.util.concurrent.Future<Long> f : ready) {
                last = Math.max(last, f.get(5, java.util.concurrent.TimeUnit.MINUTES));
            }
            long rssTotal = 0;
            for (GuestProcess p : started) {
                rssTotal += kib(status(p.pid(), "VmRSS"));
            }
            System.out.printf("MEASURE parallel: 4 guests from first spawn to all pinging the host side %d ms; RSS %d MiB total (load average %s)%n",
                    (last - start) / 1_000_000, rssTotal >> 10, Files.readString(Path.of("/proc/loadavg")).strip());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aUserModeGuestGetsNoTapAndStillListensOnNothing() throws Exception {
        ProbeHost.Probe probe = new ProbeHost.Probe("slirp", 200171, 15, "22", "53", true, false);
        Guest guest = host.guest(probe);
        assertThat(guest.launch().tap()).isEmpty();

        long pid = launch(probe).process().pid();

        assertThat(status(pid, "Seccomp")).isEqualTo("2");
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (java.nio.file.NoSuchFileException closedMeanwhile) {
                    continue; // QEMU closed a transient descriptor between the listing and the read
                }
                assertThat(target).as("fd " + fd.getFileName()).isNotEqualTo("/dev/net/tun");
            }
        }
        for (String table : List.of("tcp", "tcp6")) {
            assertThat(Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table)).stream().skip(1)
                    .map(l -> l.trim().split("\\s+")[3])).doesNotContain("0A");
        }
        assertThat(started.get(0).queryStatus(Duration.ofSeconds(10))).isEqualTo(new QmpStatus("running", true));
    }

    @Test
    void aGuestThatFailsACheckIsKilledBeforeItEverRuns() throws Exception {
        ProbeHost.Probe probe = ProbeHost.Probe.bridged("liar", 200161, 61);
        Guest honest = host.guest(probe);
        List<String> argv = new ArrayList<>(honest.argv());
        argv.set(argv.indexOf("guest=liar,process=qf-liar"), "guest=someone-else,process=qf-liar");
        Guest lying = new Guest(honest.address(), honest.vm(), honest.group(), honest.uid(), honest.gid(), argv, io.qfence.model.ConfigDigest.of(argv),
                honest.config(), honest.state(), honest.launch(), honest.runtime());
        GuestLauncher.Options options = host.prepare(probe);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GuestLauncher.launch(lying, options))
                .isInstanceOf(GuestLaunchException.class)
                .hasMessageContaining("failed its checks and was killed: QEMU names itself someone-else, expected liar");
        assertThat(GuestPidFiles.find(honest)).isNotInstanceOf(GuestPidFiles.Finding.Running.class);
        assertThat(Files.readString(Path.of(honest.launch().serialLog()))).as("the guest never ran a single instruction").isEmpty();
    }

    @Test
    void anImageReachedThroughASymlinkIsRefusedBeforeAnythingStarts() throws Exception {
        ProbeHost.Probe probe = ProbeHost.Probe.bridged("sneaky", 200162, 62);
        Guest honest = host.guest(probe);
        Path link = host.imagesRoot.resolve("initrds/sneaky.img");
        Files.createSymbolicLink(link, Path.of("/etc/shadow"));
        List<String> argv = new ArrayList<>(honest.argv());
        argv.set(argv.indexOf(host.imagesRoot.resolve("initrds/probe.img").toString()), link.toString());
        io.qfence.model.host.GuestLaunch l = honest.launch();
        Guest sneaky = new Guest(honest.address(), honest.vm(), honest.group(), honest.uid(), honest.gid(), argv, io.qfence.model.ConfigDigest.of(argv),
                honest.config(), honest.state(), new io.qfence.model.host.GuestLaunch(l.runDir(), l.qmpSocket(), l.serialSocket(),
                l.serialLog(), l.pidFile(), List.of(l.images().get(0), link.toString()), l.cgroupPath(), l.tap(), l.stopTimeout()),
                honest.runtime());
        GuestLauncher.Options options = host.prepare(probe);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GuestLauncher.launch(sneaky, options))
                .hasMessageContaining(link + " is a symlink; images must not contain symlinks");
        assertThat(Path.of(l.runDir()).resolve(GuestLauncher.QEMU_LOG)).as("nothing was spawned").doesNotExist();
        assertThat(Files.getAttribute(Path.of("/etc/shadow"), "unix:uid")).isEqualTo(0);
    }

    /** inode -> the /proc/PID/net table that lists it. */
    static java.util.Map<String, String> socketKinds(long pid) throws IOException {
        java.util.Map<String, String> kinds = new java.util.HashMap<>();
        java.util.Map<String, Integer> inodeColumn = java.util.Map.of("unix", 6, "tcp", 9, "tcp6", 9, "udp", 9, "udp6", 9,
                "raw", 9, "raw6", 9, "netlink", 9, "packet", 8);
        for (var table : inodeColumn.entrySet()) {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table.getKey())).stream().skip(1).toList()) {
                String[] cols = line.trim().split("\\s+");
                if (cols.length > table.getValue()) {
                    kinds.put(cols[table.getValue()], table.getKey());
                }
            }
        }
        return kinds;
    }

    static long kib(String value) {
        return Long.parseLong(value.replace("kB", "").strip());
    }

    static String status(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith(field + ":"))
                .findFirst().orElseThrow().substring(field.length() + 1).strip();
    }
}
