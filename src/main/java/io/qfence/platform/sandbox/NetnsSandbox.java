package io.qfence.platform.sandbox;

import io.qfence.host.CgroupPort;
import io.qfence.host.CgroupProcesses;
import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimitFile;
import io.qfence.model.host.CgroupLimits;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.IoMessages;
import io.qfence.model.errors.UsageException;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.OsException;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Signal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
    private final SandboxAdapters adapters;
    private final CgroupPort cgroups;
    private final CgroupProcesses cgroupProcesses;
    private final HostFacts facts;
    private final GuestPort qemu;
    private final GuestPort guests;
    private final Listeners listeners = new Listeners();
    private final Map<String, SandboxAdapters.Console> consoles = new ConcurrentHashMap<>();
    /**
     * The CPU weight last given to the sandbox's own cgroup ({@link #weighLikeASlice()}); 0 before the first. Guarded by
     * its own lock, not the sandbox's monitor: teardown holds that while it waits for the starts in flight to end.
     */
    private long weight;
    private final Object weighing = new Object();
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

    private NetnsSandbox(String name, Path base, NetNamespace hostNs, SandboxAdapters adapters, HostFacts facts, Progress progress) {
        this.name = name;
        this.progress = progress;
        this.base = base;
        this.imagesRoot = base.resolve("images");
        this.runDir = base.resolve("run");
        this.stateDir = base.resolve("state");
        this.hostNs = hostNs;
        this.adapters = adapters;
        this.cgroups = adapters.cgroups();
        this.cgroupProcesses = adapters.cgroupProcesses();
        this.facts = facts;
        this.qemu = adapters.guests().in(hostNs, imagesRoot, stateDir);
        this.guests = GuestPort.startingThrough(qemu, (inner, guest, starting) -> {
            // never waits (teardown holds the gate for good once it has it), and looks at closing only once inside:
            // teardown sets it before it waits for the gate
            boolean admitted = startGate.readLock().tryLock();
            try {
                if (!admitted || closing) {
                    throw new HostPortException(HostPortException.Port.GUESTS, "start", "vm " + guest.vm(),
                            new HostPortException.Refusal("sandbox " + name + " is being torn down"));
                }
                weighLikeASlice();
                inner.start(guest, starting);
            } finally {
                if (admitted) {
                    startGate.readLock().unlock();
                }
            }
        });
        this.shutdownHook = new Thread(this::close, "teardown-" + name);
    }

    /**
     * Creates the sandbox with the adapters the composition root gives it; on any failure, removes what was made so
     * far. Its facts are the live host's, detected by the same code ({@link SandboxAdapters#facts()}) in its namespace.
     *
     * @throws UsageException    when a probe image is missing (the caller names the directory)
     * @throws HostPortException when the sandbox cannot be set up: its directories and images (port {@code host}),
     *                           its network namespace (port {@code host}), its loopback (port {@code links}), its
     *                           cgroups (port {@code cgroups}), or its facts
     */
    public static NetnsSandbox create(String prefix, Path probeImages, Progress progress, SandboxAdapters adapters) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path base = Path.of(System.getProperty("java.io.tmpdir"), name);
        NetNamespace hostNs = null;
        List<Path> madeCgroups = new ArrayList<>();
        try {
            for (String image : PROBE_IMAGES) {
                Path source = probeImages.resolve(image);
                if (!Files.isRegularFile(source)) {
                    throw new UsageException("no probe image " + source + " (build it with bin/build-probe-image)");
                }
            }
            makeDirectories(name, base, probeImages);
            hostNs = namespace(name);
            try (SandboxAdapters.Links links = adapters.links().apply(hostNs)) {
                links.setUp("lo");
            }
            HostFacts facts = adapters.facts().apply(hostNs.path());
            for (Path dir : adapters.cgroupProcesses().directories(name)) {
                try {
                    Files.createDirectory(dir);
                } catch (IOException e) {
                    throw failed(HostPortException.Port.CGROUPS, "create", "cgroup " + name + " (" + dir + ")", e);
                }
                madeCgroups.add(dir);
            }
            NetnsSandbox sandbox = new NetnsSandbox(name, base, hostNs, adapters, facts, progress);
            Runtime.getRuntime().addShutdownHook(sandbox.shutdownHook);
            progress.step("sandbox", "created " + name + ": network namespace " + hostNs.path() + ", cgroup " + name + " ("
                    + facts.cgroupVersion().name().toLowerCase(java.util.Locale.ROOT) + "), directory " + base);
            return sandbox;
        } catch (RuntimeException e) {
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
            throw e;
        }
    }

    private static final List<String> PROBE_IMAGES = List.of("kernels/vmlinuz", "initrds/probe.img");

    /** {@code TMPDIR/NAME} with {@code images/} (the probe images copied in), {@code run/} and {@code state/}. */
    private static void makeDirectories(String name, Path base, Path probeImages) {
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
            for (String image : PROBE_IMAGES) {
                Files.copy(probeImages.resolve(image), base.resolve("images").resolve(image));
            }
        } catch (IOException e) {
            throw failed(HostPortException.Port.HOST, "create its directory " + base, "sandbox " + name, e);
        }
    }

    /** A network namespace of the sandbox, {@code /run/netns/NAME}; failing as the ports do (port {@code host}). */
    private static NetNamespace namespace(String name) {
        try {
            return NetNamespace.create(NetNamespace.DEFAULT_DIR, name);
        } catch (OsException e) {
            throw e.toPortError(HostPortException.Port.HOST, "network namespace " + name);
        }
    }

    private static HostPortException failed(HostPortException.Port port, String operation, String object, IOException e) {
        return new HostPortException(port, operation, object, new HostPortException.Refusal(IoMessages.describe(e)), e);
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

    // ------------------------------------------------------------------------------------------------ weight

    /**
     * Gives the sandbox's cgroup the CPU weight of its groups' cgroups together, as if they sat at the top level like a
     * host's slice does: a fresh cgroup weighs as much as one process, and its guests would otherwise share one
     * process's worth of CPU on a busy machine (boots then take minutes instead of seconds). Done before each guest
     * start, from the weights the kernel has (the groups' cgroups are in place by then, put there as apply does).
     */
    private void weighLikeASlice() {
        boolean v2 = facts.cgroupVersion() == CgroupVersion.V2;
        String file = (v2 ? CgroupLimitFile.V2_CPU_WEIGHT : CgroupLimitFile.V1_CPU_SHARES).file();
        long max = v2 ? 10_000 : 262_144;
        synchronized (weighing) {
            if (cgroups.read("sandbox/cgroup", name, Set.of(file)).filter(c -> c.files().containsKey(file)).isEmpty()) {
                return; // no CPU controller for the sandbox's cgroup: nothing to weigh
            }
            long sum = cgroups.list(name, 1).stream().map(path -> cgroups.read(path, path, Set.of(file))).flatMap(Optional::stream)
                    .map(c -> c.files().get(file)).filter(java.util.Objects::nonNull).mapToLong(Long::parseLong).sum();
            long wanted = Math.min(max, sum);
            if (wanted > 0 && wanted != weight) {
                cgroups.apply(new Cgroup("sandbox/cgroup", name, facts.cgroupVersion(), new TreeMap<>(Map.of(file, Long.toString(wanted)))));
                weight = wanted;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ outside

    @Override
    public void connectOutside(OutsideWorld world, Progress progress) {
        NetNamespace outside = namespace(name + "-out");
        outsideNs = outside;
        try (SandboxAdapters.Links host = adapters.links().apply(hostNs); SandboxAdapters.Links out = adapters.links().apply(outside)) {
            out.setUp("lo");
            host.createVethPair(UPLINK, OUTSIDE_END, outside);
            host.addAddress(UPLINK, world.hostAddress() + "/" + world.prefixLength());
            host.setUp(UPLINK);
            out.addAddress(OUTSIDE_END, world.routerAddress() + "/" + world.prefixLength());
            for (Ipv4Address a : world.outsideAddresses()) {
                out.addAddress(OUTSIDE_END, a + "/32");
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
        SandboxAdapters.Console console = adapters.consoles().apply(Path.of(guest.launch().serialSocket()));
        try {
            console.awaitShell(timeout, Duration.ofSeconds(1));
        } catch (RuntimeException e) {
            console.close();
            throw e;
        }
        SandboxAdapters.Console previous = consoles.put(guest.vm(), console);
        if (previous != null) {
            previous.close();
        }
    }

    @Override
    public List<ProbeResult> probeFromGuest(Guest guest, List<Probe> probes) {
        SandboxAdapters.Console console = consoles.get(guest.vm());
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
    public Optional<CgroupLimits> cgroupLimits(String path) {
        return cgroups.limits(path);
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
        consoles.values().forEach(SandboxAdapters.Console::close);
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
        for (Path dir : cgroupProcesses.directories(name)) {
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
                cgroups.delete(new Cgroup("sandbox/cgroup", name, facts.cgroupVersion(), new TreeMap<>()));
                teardown.add("removed cgroup " + name + " from " + cgroupProcesses.directories(name).size() + " hierarchies");
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
