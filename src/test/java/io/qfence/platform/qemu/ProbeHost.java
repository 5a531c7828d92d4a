package io.qfence.platform.qemu;

import io.qfence.model.ConfigDigest;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.Tun;
import io.qfence.testing.CgroupHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A disposable host for probe guests, made of things only this test owns: a network namespace with a bridge, a veth
 * whose far end carries the gateway address (the "host side" the guests talk to), a cgroup subtree (under each v1
 * controller, or one in the unified v2 hierarchy with the controllers enabled: the layout is detected, so the same
 * tests run on this machine and in the production-kernel lab), and base, images and run directories under /tmp.
 * {@link #close} removes all of it.
 *
 * <p>Guests are built by hand the way DESIGN.md §9 says the realizer will build them.
 */
final class ProbeHost implements AutoCloseable {

    static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu");
    static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    static final CgroupVersion CGROUP_VERSION = CgroupHost.version();

    final String id = UUID.randomUUID().toString().substring(0, 8);
    final String name = "qfence-test-" + id;
    final NetNamespace ns;
    final Path base;
    final Path imagesRoot;
    final Path runRoot;
    final String subnetPrefix; // e.g. 10.99.17.
    final String bridge = "qfb-" + id.substring(0, 6);
    private final List<Path> cgroups = new ArrayList<>();

    ProbeHost() throws IOException {
        base = Files.createDirectory(Path.of("/tmp", name), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        imagesRoot = Files.createDirectories(base.resolve("images"));
        runRoot = Files.createDirectories(base.resolve("run"));
        Files.createDirectories(imagesRoot.resolve("kernels"));
        Files.createDirectories(imagesRoot.resolve("initrds"));
        Path images = probeImages();
        Files.copy(images.resolve("kernels/vmlinuz"), imagesRoot.resolve("kernels/vmlinuz"));
        Files.copy(images.resolve("initrds/probe.img"), imagesRoot.resolve("initrds/probe.img"));
        subnetPrefix = "10.99." + new Random().nextInt(250) + ".";
        ns = NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
        ip("link", "set", "lo", "up");
        ip("link", "add", bridge, "type", "bridge");
        ip("link", "set", bridge, "up");
        ip("link", "add", "qfv-host", "type", "veth", "peer", "name", "qfv-br");
        ip("link", "set", "qfv-br", "master", bridge, "up");
        ip("addr", "add", subnetPrefix + "1/24", "dev", "qfv-host");
        ip("link", "set", "qfv-host", "up");
        if (CGROUP_VERSION == CgroupVersion.V2) {
            // v2: the controllers reach a child only through every ancestor's cgroup.subtree_control
            CgroupHost.enableControllers(CGROUP_ROOT);
            Files.createDirectory(CGROUP_ROOT.resolve(name));
            CgroupHost.enableControllers(CGROUP_ROOT.resolve(name));
        } else {
            for (String controller : CONTROLLERS) {
                Files.createDirectory(CGROUP_ROOT.resolve(controller).resolve(name));
            }
        }
    }

    /** The VM's cgroup that holds the memory controller's files (v1: in the memory hierarchy). */
    static Path memoryCgroup(String hostName, String vm) {
        return CGROUP_VERSION == CgroupVersion.V2 ? CGROUP_ROOT.resolve(hostName).resolve(vm)
                : CGROUP_ROOT.resolve("memory").resolve(hostName).resolve(vm);
    }

    /** Builds (or takes from the cache) the probe image once per JVM: bin/build-probe-image. */
    static Path probeImages() {
        return io.qfence.testing.ProbeImages.directory();
    }

    void ip(String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", name));
        command.addAll(List.of(args));
        Witness.run(command.toArray(String[]::new));
    }

    /** The VM's cgroup in each controller, created; removed by {@link #close}. */
    List<Path> cgroupFor(String vm, String memoryLimit) throws IOException {
        List<Path> dirs = CgroupDirs.of(CGROUP_ROOT, CGROUP_VERSION, name + "/" + vm, CONTROLLERS);
        for (Path dir : dirs) {
            Files.createDirectory(dir);
            cgroups.add(dir);
        }
        Files.writeString(memoryCgroup(name, vm).resolve(CGROUP_VERSION == CgroupVersion.V2 ? "memory.max" : "memory.limit_in_bytes"),
                memoryLimit);
        return dirs;
    }

    /** A persistent tap for the VM, owned by its uid, on the bridge. */
    String tapFor(String vm, long uid) {
        String tap = "qft-" + vm;
        ns.run(() -> Tun.createPersistentTap(tap, uid, uid));
        ip("link", "set", tap, "master", bridge, "up");
        return tap;
    }

    /** The guest's serial console once its shell answers (the guest has booted and its network is up). */
    static SerialConsole console(Guest guest) {
        SerialConsole console = SerialConsole.connect(Path.of(guest.launch().serialSocket()));
        try {
            console.awaitShell(Duration.ofSeconds(90), Duration.ofSeconds(2));
            return console;
        } catch (RuntimeException e) {
            console.close();
            throw e;
        }
    }

    /** What the probe guest does, from its kernel command line. */
    record Probe(String vm, long uid, int lastOctet, String tcp, String udp, boolean acpi, boolean bridged) {
        static Probe bridged(String vm, long uid, int lastOctet) {
            return new Probe(vm, uid, lastOctet, "22,5432", "53", true, true);
        }

        Probe withoutAcpi() {
            return new Probe(vm, uid, lastOctet, tcp, udp, false, bridged);
        }
    }

    String ipOf(Probe probe) {
        return subnetPrefix + probe.lastOctet();
    }

    /** The realized guest, as the realizer will produce it (DESIGN.md §9). */
    Guest guest(Probe p) {
        return guest(runRoot, imagesRoot, subnetPrefix, name, p);
    }

    static Guest guest(Path runRoot, Path imagesRoot, String subnetPrefix, String name, Probe p) {
        Path run = runRoot.resolve(p.vm());
        String mac = String.format("0e:00:00:00:%02x:%02x", p.lastOctet() / 256, p.lastOctet() % 256);
        String append = "console=ttyS0 quiet qf.ip=" + subnetPrefix + p.lastOctet() + "/24 qf.gw=" + subnetPrefix + "1 qf.tcp=" + p.tcp() + " qf.udp=" + p.udp()
                + (p.acpi() ? "" : " qf.acpi=off");
        List<String> argv = new ArrayList<>(List.of(QEMU.toString(), "-S",
                "-name", "guest=" + p.vm() + ",process=qf-" + p.vm(),
                "-machine", "q35", "-accel", "tcg,tb-size=16", "-m", "128", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-sandbox", QemuArgvPolicy.SANDBOX,
                "-qmp", "unix:" + run.resolve("qmp.sock") + ",server=on,wait=off",
                "-chardev", "socket,id=serial0,path=" + run.resolve("serial.sock") + ",server=on,wait=off,logfile=" + run.resolve("serial.log"),
                "-serial", "chardev:serial0",
                "-pidfile", run.resolve("qemu.pid").toString()));
        if (p.bridged()) {
            argv.addAll(List.of("-netdev", "tap,id=net0,fd=3,vhost=off", "-device", "virtio-net-pci,netdev=net0,mac=" + mac));
        } else {
            argv.addAll(List.of("-netdev", "user,id=net0,restrict=on", "-device", "virtio-net-pci,netdev=net0,mac=" + mac));
        }
        String kernel = imagesRoot.resolve("kernels/vmlinuz").toString();
        String initrd = imagesRoot.resolve("initrds/probe.img").toString();
        argv.addAll(List.of("-kernel", kernel, "-initrd", initrd, "-append", append));
        GuestLaunch launch = new GuestLaunch(run.toString(), run.resolve("qmp.sock").toString(), run.resolve("serial.sock").toString(),
                run.resolve("serial.log").toString(), run.resolve("qemu.pid").toString(), List.of(kernel, initrd),
                name + "/" + p.vm(), p.bridged() ? Optional.of("qft-" + p.vm()) : Optional.empty(), Duration.ofSeconds(10));
        return new Guest("group.test/vm." + p.vm(), p.vm(), "test", p.uid(), p.uid(), argv, io.qfence.model.ConfigDigest.of(argv),
                new TreeMap<>(Map.of("memory", "128Mi")), GuestState.RUNNING, launch, GuestRuntime.NONE);
    }

    /** Everything needed to launch {@code p}: its cgroups and (bridged) its tap. */
    GuestLauncher.Options prepare(Probe p) throws IOException {
        List<Path> dirs = cgroupFor(p.vm(), "402653184");
        if (p.bridged()) {
            tapFor(p.vm(), p.uid());
        }
        return GuestLauncher.Options.of(imagesRoot, dirs).inNamespace(ns);
    }

    @Override
    public void close() throws IOException {
        List<String> problems = new ArrayList<>();
        // Cgroups empty out once their processes are gone (PID 1 may reap an orphan a little late).
        for (int i = cgroups.size() - 1; i >= 0; i--) {
            removeCgroup(cgroups.get(i), problems);
        }
        if (CGROUP_VERSION == CgroupVersion.V2) {
            removeCgroup(CGROUP_ROOT.resolve(name), problems);
        } else {
            for (String controller : CONTROLLERS) {
                removeCgroup(CGROUP_ROOT.resolve(controller).resolve(name), problems);
            }
        }
        ns.delete();
        try (Stream<Path> files = Files.walk(base)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("cleanup left: " + problems);
        }
    }

    private static void removeCgroup(Path dir, List<String> problems) {
        for (int attempt = 0; attempt < 100; attempt++) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(50); // only when a process is still being reaped; bounded at 5 s
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        problems.add(dir.toString());
    }
}
