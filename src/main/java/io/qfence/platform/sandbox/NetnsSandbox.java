package io.qfence.platform.sandbox;

import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.host.Capability;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.Sysctl;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.netlink.BridgeOptions;
import io.qfence.platform.netlink.InterfaceAddress;
import io.qfence.platform.netlink.LinkBatch;
import io.qfence.platform.netlink.LinkCapabilities;
import io.qfence.platform.netlink.RtnlClient;
import io.qfence.platform.nft.NftClient;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.OsException;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Signal;
import io.qfence.platform.os.Sysctls;
import io.qfence.platform.os.Tun;
import io.qfence.platform.qemu.AppArmorProfiles;
import io.qfence.platform.qemu.QemuGuests;
import io.qfence.platform.qemu.SerialConsole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;

/**
 * {@link Sandbox} on this machine: a named network namespace for the host ({@code /run/netns/NAME}), a second one
 * for the outside world ({@code NAME-out}), a cgroup {@code NAME} in every hierarchy, and {@code TMPDIR/NAME} with
 * {@code images/}, {@code run/} and {@code state/}.
 *
 * <p>Teardown ({@link #close()}) runs from the caller's {@code finally} and from a JVM shutdown hook (Ctrl-C), once:
 * it refuses further guest starts, kills every process found in the sandbox's cgroups (by pidfd, after checking it
 * is a QEMU running as an unprivileged uid), waits for them to end, removes the cgroups bottom-up, deletes both
 * namespaces (their links and rules go with them) and the directory.
 */
public final class NetnsSandbox implements Sandbox {

    /** The uplink's two ends: {@code vfy-up} in the host namespace, {@code vfy-out} outside. Not qfence's prefix. */
    static final String UPLINK = "vfy-up";
    static final String OUTSIDE_END = "vfy-out";

    private final String name;
    private final Path base;
    private final Path imagesRoot;
    private final Path runDir;
    private final Path stateDir;
    private final NetNamespace hostNs;
    private final CgroupFs cgroups;
    private final HostFacts facts;
    private final QemuGuests qemu;
    private final GuestPort guests;
    private final Listeners listeners = new Listeners();
    private final Map<String, SerialConsole> consoles = new ConcurrentHashMap<>();
    private final List<String> teardown = new ArrayList<>();
    private final Thread shutdownHook;
    private final Progress progress;
    private volatile NetNamespace outsideNs;
    private volatile boolean closing;
    private boolean closed;
    /**
     * Guest starts hold it shared, teardown exclusively: a start in flight when Ctrl-C comes is still a root
     * launcher in the sandbox's cgroup (not yet QEMU under its uid), which the census of processes to kill skips, so
     * teardown first waits for the starts in flight to end (each bounded by its own timeouts), and later ones refuse.
     */
    private static final Duration START_WAIT = Duration.ofSeconds(60);
    private final ReentrantReadWriteLock startGate = new ReentrantReadWriteLock();

    private NetnsSandbox(String name, Path base, NetNamespace hostNs, CgroupFs cgroups, HostFacts facts, Progress progress) {
        this.name = name;
        this.progress = progress;
        this.base = base;
        this.imagesRoot = base.resolve("images");
        this.runDir = base.resolve("run");
        this.stateDir = base.resolve("state");
        this.hostNs = hostNs;
        this.cgroups = cgroups;
        this.facts = facts;
        this.qemu = new QemuGuests(QemuGuests.Settings.of(imagesRoot, stateDir, cgroups).inNamespace(hostNs));
        this.guests = new GuestPort() {
            @Override
            public List<Guest> observe(List<Guest> realized) {
                return qemu.observe(realized);
            }

            @Override
            public Optional<Guest> find(Guest realized) {
                return qemu.find(realized);
            }

            @Override
            public void start(Guest guest, Progress progress) {
                // never waits (teardown holds the gate for good once it has it), and looks at closing only once
                // inside: teardown sets it before it waits for the gate
                boolean admitted = startGate.readLock().tryLock();
                try {
                    if (!admitted || closing) {
                        throw new IllegalStateException("sandbox " + name + " is being torn down: not starting " + guest.vm());
                    }
                    qemu.start(guest, progress);
                } finally {
                    if (admitted) {
                        startGate.readLock().unlock();
                    }
                }
            }

            @Override
            public void stop(Guest guest, Progress progress) {
                qemu.stop(guest, progress);
            }
        };
        this.shutdownHook = new Thread(this::close, "teardown-" + name);
    }

    /** Creates the sandbox; on any failure, removes what was made so far. */
    public static NetnsSandbox create(String prefix, Path probeImages, Progress progress) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        CgroupFs cgroups = new CgroupFs(CgroupLayout.detect());
        HostFacts facts = detectFacts(cgroups.layout());
        Path base = Path.of(System.getProperty("java.io.tmpdir"), name);
        NetNamespace hostNs = null;
        List<Path> madeCgroups = new ArrayList<>();
        try {
            Files.createDirectory(base);
            // QEMU runs as the VMs' uids and opens its sockets under run/VM: the path must be traversable.
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String dir : List.of("images/kernels", "images/initrds", "run", "state")) {
                Files.createDirectories(base.resolve(dir));
            }
            for (String dir : List.of("images", "images/kernels", "images/initrds", "run")) {
                Files.setPosixFilePermissions(base.resolve(dir), PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Files.setPosixFilePermissions(base.resolve("state"), PosixFilePermissions.fromString("rwx------"));
            for (String image : List.of("kernels/vmlinuz", "initrds/probe.img")) {
                Path source = probeImages.resolve(image);
                if (!Files.isRegularFile(source)) {
                    throw new IllegalArgumentException("no probe image " + source + " (build it with bin/build-probe-image)");
                }
                Files.copy(source, base.resolve("images").resolve(image));
            }
            hostNs = NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
            NetNamespace ns = hostNs;
            try (RtnlClient rtnl = RtnlClient.open(ns)) {
                rtnl.setUp("lo");
            }
            for (Path dir : cgroups.directories(name)) {
                Files.createDirectory(dir);
                madeCgroups.add(dir);
            }
            NetnsSandbox sandbox = new NetnsSandbox(name, base, hostNs, cgroups, facts, progress);
            Runtime.getRuntime().addShutdownHook(sandbox.shutdownHook);
            progress.step("sandbox", "created " + name + ": network namespace " + hostNs.path() + ", cgroup " + name + " ("
                    + cgroups.layout().version().name().toLowerCase(java.util.Locale.ROOT) + "), directory " + base);
            return sandbox;
        } catch (IOException | RuntimeException e) {
            for (Path dir : madeCgroups) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // reporting the original failure
                }
            }
            if (hostNs != null) {
                hostNs.delete();
            }
            deleteTree(base, new ArrayList<>());
            throw e instanceof RuntimeException re ? re : new IllegalStateException("create sandbox " + name + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        }
    }

    /** This machine's facts, as a sandbox here has them. */
    public static HostFacts machineFacts() {
        return detectFacts(CgroupLayout.detect());
    }

    /** This machine's facts: cgroup version, link kinds and bridge netfilter, nftables, seccomp, AppArmor, I/O weights. */
    static HostFacts detectFacts(CgroupLayout layout) {
        Set<Capability> capabilities = EnumSet.noneOf(Capability.class);
        capabilities.addAll(LinkCapabilities.detected());
        capabilities.addAll(List.of(Capability.NFT_INET, Capability.NFT_BRIDGE, Capability.SECCOMP));
        if (AppArmorProfiles.available()) {
            capabilities.add(Capability.APPARMOR);
        }
        if (io.qfence.platform.qemu.GuestJail.available()) {
            capabilities.add(Capability.NAMESPACES);
        }
        boolean ioWeight = layout.version() == CgroupVersion.V2
                ? layout.hierarchies().containsKey("io")
                : Optional.ofNullable(layout.hierarchies().get("blkio")).map(p -> Files.exists(p.resolve("blkio.bfq.weight"))).orElse(false);
        if (ioWeight) {
            capabilities.add(Capability.CGROUP_IO_WEIGHT);
        }
        return new HostFacts(layout.version(), capabilities);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Path hostNamespace() {
        return hostNs.path();
    }

    @Override
    public HostOverrides overrides() {
        return new HostOverrides(Optional.of(imagesRoot.toString()), Optional.of(runDir.toString()), Optional.of(stateDir.toString()),
                Optional.of(name));
    }

    @Override
    public HostFacts facts() {
        return facts;
    }

    @Override
    public GuestPort guests() {
        return guests;
    }

    // ------------------------------------------------------------------------------------------------ build

    @Override
    public void build(List<HostObject> objects, Progress progress) {
        List<Sysctl> sysctls = objects.stream().filter(Sysctl.class::isInstance).map(Sysctl.class::cast).toList();
        List<Link> links = objects.stream().filter(Link.class::isInstance).map(Link.class::cast).toList();
        List<Firewall> firewalls = objects.stream().filter(Firewall.class::isInstance).map(Firewall.class::cast).toList();
        List<Cgroup> cgroupObjects = objects.stream().filter(Cgroup.class::isInstance).map(Cgroup.class::cast).toList();

        Sysctls settings = Sysctls.in(hostNs);
        for (Sysctl s : sysctls) {
            settings.write(s.key(), s.value());
        }
        try (RtnlClient rtnl = RtnlClient.open(hostNs)) {
            List<Link> ordered = links.stream().sorted(Comparator.comparingInt((Link l) -> l.kind() == LinkKind.BRIDGE ? 0 : 1)
                    .thenComparing(Link::name)).toList();
            for (Link l : ordered) {
                switch (l.kind()) {
                    case BRIDGE -> {
                        BridgeOptions options = BridgeOptions.DEFAULTS.withMtu(l.mtu());
                        if (l.mac().isPresent()) {
                            options = options.withMac(l.mac().get());
                        }
                        rtnl.createBridge(l.name(), options);
                    }
                    case TAP -> hostNs.run(() -> Tun.createPersistentTap(l.name(), l.ownerUid().orElseThrow(), l.ownerGid().orElseThrow()));
                    case VLAN -> rtnl.createVlan(l.name(), l.vlanParent().orElseThrow(), l.vlanId().orElseThrow());
                    case VETH -> throw new IllegalArgumentException("qfence realizes no veth links: " + l.name());
                }
            }
            LinkBatch batch = rtnl.batch();
            for (Link l : ordered) {
                batch.setAlias(l.name(), l.alias());
                if (l.kind() != LinkKind.BRIDGE) {
                    batch.setMtu(l.name(), l.mtu());
                    l.mac().ifPresent(mac -> batch.setMac(l.name(), mac));
                }
                l.master().ifPresent(m -> batch.setMaster(l.name(), m));
                l.portFlags().ifPresent(f -> batch.setBridgePortFlags(l.name(), f));
                for (String a : l.addresses()) {
                    batch.addAddress(l.name(), InterfaceAddress.parse(a));
                }
                if (l.up()) {
                    batch.setUp(l.name());
                }
            }
            if (batch.size() > 0) {
                batch.execute().orThrow();
            }
        }
        try (NftClient nft = NftClient.open(hostNs)) {
            for (Firewall f : firewalls) {
                nft.apply(f);
            }
        }
        cgroups.applyAll(cgroupObjects);
        weighParent(cgroupObjects);
        progress.step("sandbox", "built " + sysctls.size() + " host settings, " + links.size() + " links, the firewall ("
                + firewalls.stream().flatMap(f -> f.tables().stream()).flatMap(t -> t.chains().stream()).mapToInt(c -> c.rules().size()).sum() + " rules) and "
                + cgroupObjects.size() + " cgroups");
    }

    /**
     * Gives the sandbox's cgroup the CPU weight of its groups together, as if they sat at the top level like a host's
     * slice does: a fresh cgroup weighs as much as one process, and its guests would otherwise share one process's
     * worth of CPU on a busy machine (boots then take minutes instead of seconds).
     */
    private void weighParent(List<Cgroup> cgroupObjects) {
        String file = cgroups.layout().version() == CgroupVersion.V2 ? "cpu.weight" : "cpu/cpu.shares";
        long max = cgroups.layout().version() == CgroupVersion.V2 ? 10_000 : 262_144;
        long sum = cgroupObjects.stream().filter(c -> c.path().startsWith(name + "/") && c.path().indexOf('/', name.length() + 1) < 0)
                .map(c -> c.files().get(file)).filter(java.util.Objects::nonNull).mapToLong(Long::parseLong).sum();
        if (sum > 0) {
            cgroups.apply(new Cgroup("sandbox/cgroup", name, cgroups.layout().version(),
                    new java.util.TreeMap<>(Map.of(file, Long.toString(Math.min(max, sum))))));
        }
    }

    // ------------------------------------------------------------------------------------------------ outside

    @Override
    public void connectOutside(OutsideWorld world, Progress progress) {
        NetNamespace outside = NetNamespace.create(NetNamespace.DEFAULT_DIR, name + "-out");
        outsideNs = outside;
        try (RtnlClient host = RtnlClient.open(hostNs); RtnlClient out = RtnlClient.open(outside)) {
            out.setUp("lo");
            host.createVethPair(UPLINK, OUTSIDE_END, outside);
            host.addAddress(UPLINK, InterfaceAddress.parse(world.hostAddress() + "/" + world.prefixLength()));
            host.setUp(UPLINK);
            out.addAddress(OUTSIDE_END, InterfaceAddress.parse(world.routerAddress() + "/" + world.prefixLength()));
            for (Ipv4Address a : world.outsideAddresses()) {
                out.addAddress(OUTSIDE_END, InterfaceAddress.parse(a + "/32"));
            }
            out.setUp(OUTSIDE_END);
            host.addRoute(Ipv4Cidr.parse("0.0.0.0/0"), world.routerAddress(), UPLINK);
            for (Ipv4Cidr c : world.routedToHost()) {
                out.addRoute(c, world.hostAddress(), OUTSIDE_END);
            }
        }
        progress.step("sandbox", "uplink " + UPLINK + " " + world.hostAddress() + "/" + world.prefixLength() + " -> outside namespace "
                + outside.name() + " (router " + world.routerAddress() + "; stand-ins " + world.outsideAddresses() + ")");
    }

    @Override
    public void listen(List<Listener> wanted) {
        for (Listener l : wanted) {
            NetNamespace ns = l.side() == Listener.Side.HOST ? hostNs : requireOutside();
            listeners.start(ns, l);
        }
    }

    private NetNamespace requireOutside() {
        NetNamespace ns = outsideNs;
        if (ns == null) {
            throw new IllegalStateException("connectOutside first");
        }
        return ns;
    }

    // ------------------------------------------------------------------------------------------------ probes

    @Override
    public void awaitConsole(Guest guest, Duration timeout) {
        SerialConsole console = SerialConsole.connect(Path.of(guest.launch().serialSocket()));
        try {
            console.awaitShell(timeout, Duration.ofSeconds(1));
        } catch (RuntimeException e) {
            console.close();
            throw e;
        }
        SerialConsole previous = consoles.put(guest.vm(), console);
        if (previous != null) {
            previous.close();
        }
    }

    @Override
    public List<ProbeResult> probeFromGuest(Guest guest, List<Probe> probes) {
        SerialConsole console = consoles.get(guest.vm());
        if (console == null) {
            throw new IllegalStateException("awaitConsole(" + guest.vm() + ") first");
        }
        return GuestProbes.run(console, probes);
    }

    @Override
    public List<ProbeResult> probeFromOutside(Ipv4Address source, List<Probe> probes) {
        return OutsideProbes.run(requireOutside(), source, probes);
    }

    @Override
    public Optional<Cgroup> observeCgroup(Cgroup realized) {
        return cgroups.read(realized.address(), realized.path(), realized.files().keySet());
    }

    // ------------------------------------------------------------------------------------------------ teardown

    @Override
    public synchronized void close() {
        closing = true; // before waiting: no start begins from now on
        if (closed) {
            return;
        }
        closed = true;
        boolean startsEnded = false;
        try {
            startsEnded = startGate.writeLock().tryLock(START_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!startsEnded) {
            teardown.add("a guest start did not end within " + START_WAIT.toSeconds() + " s; tearing down anyway");
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: this is the hook
        }
        consoles.values().forEach(SerialConsole::close);
        consoles.clear();
        listeners.close();
        killGuests();
        removeCgroups();
        for (NetNamespace ns : Stream.of(hostNs, outsideNs).filter(java.util.Objects::nonNull).toList()) {
            try {
                ns.delete();
                teardown.add("deleted network namespace " + ns.name());
            } catch (RuntimeException e) {
                teardown.add("LEFT network namespace " + ns.path() + ": " + e.getMessage());
            }
        }
        List<String> problems = new ArrayList<>();
        deleteTree(base, problems);
        teardown.add(problems.isEmpty() ? "removed " + base : "LEFT in " + base + ": " + problems);
        teardown.forEach(line -> progress.step("sandbox", line));
    }

    @Override
    public synchronized List<String> teardownReport() {
        return List.copyOf(teardown);
    }

    /**
     * Every process in the sandbox's cgroups is one of its guests (the launch chain puts QEMU there before exec):
     * kill each through a pidfd after checking it is not root's, then wait for all to end.
     */
    private void killGuests() {
        Set<Long> pids = new LinkedHashSet<>();
        for (Path dir : cgroups.directories(name)) {
            collectPids(dir, pids);
        }
        List<PidFd> killed = new ArrayList<>();
        for (long pid : pids) {
            PidFd fd;
            try {
                fd = PidFd.open(pid);
            } catch (OsException e) {
                continue; // already gone
            }
            Optional<ProcessInfo> info = ProcessInfo.read(pid);
            if (info.isEmpty() || info.get().hasEnded() || info.get().uids().contains(0L)) {
                fd.close(); // ended, or not an unprivileged guest (never kill root's processes)
                continue;
            }
            try {
                fd.signal(Signal.SIGKILL);
                killed.add(fd);
            } catch (OsException e) {
                fd.close();
            }
        }
        for (PidFd fd : killed) {
            fd.awaitExit(Duration.ofSeconds(5));
            fd.close();
        }
        if (!killed.isEmpty()) {
            teardown.add("killed " + killed.size() + " guest" + (killed.size() == 1 ? "" : "s"));
        }
    }

    private static void collectPids(Path dir, Set<Long> pids) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path procs : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                for (String line : Files.readAllLines(procs)) {
                    if (!line.isBlank()) {
                        pids.add(Long.parseLong(line.strip()));
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // a hierarchy without the sandbox's cgroup: nothing there
        }
    }

    /** Bottom-up; a cgroup whose last process is still being torn down by the kernel gets a few more tries. */
    private void removeCgroups() {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                cgroups.remove(name);
                teardown.add("removed cgroup " + name + " from " + cgroups.directories(name).size() + " hierarchies");
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    teardown.add("LEFT cgroup " + name + ": " + e.getMessage());
                    return;
                }
                try {
                    Thread.sleep(100); // bounded: only while the kernel finishes the exit of killed guests
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    teardown.add("LEFT cgroup " + name + ": interrupted");
                    return;
                }
            }
        }
    }

    private static void deleteTree(Path root, List<String> problems) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    problems.add(p + ": " + e.getMessage());
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            problems.add(root + ": " + e.getMessage());
        }
    }
}
