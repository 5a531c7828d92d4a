package io.qfence.platform.qemu;

import io.qfence.host.CgroupProcesses;
import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.model.ConfigDigest;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.BootStatus;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.platform.os.ExitStatus;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.OsException;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The guest lifecycle on a real host (DESIGN.md §9): {@link GuestPort} over {@link GuestLauncher},
 * {@link GuestProcess} and the root-owned {@link GuestRegistry}.
 *
 * <p><b>Observation</b> starts from the registry: each recorded guest's process must still be the one recorded
 * (a pidfd is opened first, then {@code /proc/PID}: the same start time, the VM's uid, not a zombie, the recorded
 * command line), and then answers {@code query-status} and {@code query-name} within {@link Settings#qmpTimeout()},
 * so a hung monitor never hangs observation. A recorded guest whose process has ended is CRASHED, with the cause
 * from its exit status (known while the qfence that started it runs) and {@link CrashEvidence} (the cgroup's OOM
 * kills, QEMU's and the console's last lines). Realized guests without a record are looked for through their
 * pidfile, so a guest whose record was lost (qfence died between spawn and record) is still found. Recorded guests
 * that are no longer realized are returned too: they are orphans for the plan to stop.
 *
 * <p>Guests are never children that die with qfence: they run in their own session and are re-parented when qfence
 * exits; a new qfence adopts them from the registry, and a re-plan restarts nothing.
 *
 * <p><b>Failures</b>: every port method fails with {@link HostPortException} (port {@code guests}) naming the VM; the
 * launcher's, monitor's, files' and system calls' own exceptions stay inside this package ({@link GuestPortEdge}).
 */
public final class QemuGuests implements GuestPort {

    /**
     * This host's guests.
     *
     * @param imagesRoot   every image must resolve under it
     * @param stateDir     qfence's state directory; the registry is {@code stateDir/guests}
     * @param cgroups      the host's cgroup file system: where each VM's cgroup is, in every hierarchy
     * @param netns        the network namespace qfence manages (taps are opened there, QEMU is spawned there); empty
     *                     for the caller's own
     * @param startTimeout how long QEMU may take to offer QMP
     * @param qmpTimeout   how long observation waits for a monitor's answer
     * @param cgroupParent the host's {@code cgroupParent}: every QEMU in a VM cgroup below it is qfence's, recorded
     *                     or not (the launch chain joins the cgroups before it execs QEMU), and observation reports it
     * @param vmUids       the host's {@code vmUidRange}: any other QEMU running as one of them is reported as unowned
     */
    public record Settings(Path imagesRoot, Path stateDir, CgroupProcesses cgroups, Optional<NetNamespace> netns,
                           Duration startTimeout, Duration qmpTimeout, Optional<String> cgroupParent,
                           Optional<io.qfence.model.desired.UidRange> vmUids) {
        public Settings {
            Objects.requireNonNull(imagesRoot, "imagesRoot");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(cgroups, "cgroups");
            Objects.requireNonNull(netns, "netns");
            Objects.requireNonNull(startTimeout, "startTimeout");
            Objects.requireNonNull(qmpTimeout, "qmpTimeout");
            Objects.requireNonNull(cgroupParent, "cgroupParent");
            Objects.requireNonNull(vmUids, "vmUids");
        }

        public Settings(Path imagesRoot, Path stateDir, CgroupProcesses cgroups, Optional<NetNamespace> netns, Duration startTimeout,
                        Duration qmpTimeout) {
            this(imagesRoot, stateDir, cgroups, netns, startTimeout, qmpTimeout, Optional.empty(), Optional.empty());
        }

        public static Settings of(Path imagesRoot, Path stateDir, CgroupProcesses cgroups) {
            return new Settings(imagesRoot, stateDir, cgroups, Optional.empty(), Duration.ofSeconds(30), Duration.ofSeconds(2));
        }

        public Settings inNamespace(NetNamespace namespace) {
            return new Settings(imagesRoot, stateDir, cgroups, Optional.of(namespace), startTimeout, qmpTimeout, cgroupParent, vmUids);
        }

        public Settings withCgroupParent(String parent) {
            return new Settings(imagesRoot, stateDir, cgroups, netns, startTimeout, qmpTimeout, Optional.of(parent), vmUids);
        }

        /** The host's {@code vmUidRange}: a QEMU running as one of these uids that is not a guest is reported. */
        public Settings withVmUids(io.qfence.model.desired.UidRange range) {
            return new Settings(imagesRoot, stateDir, cgroups, netns, startTimeout, qmpTimeout, cgroupParent, Optional.of(range));
        }
    }

    /**
     * Guests this JVM started, by pid and start time: their exit status is known here (the JVM is their parent and
     * reaps them). Shared by every instance, so that a port made for a later reconcile cycle still knows it.
     */
    private static final ConcurrentMap<String, GuestProcess> STARTED_HERE = new ConcurrentHashMap<>();

    private final Settings settings;
    private final GuestRegistry registry;
    private final Clock clock;
    private final io.qfence.host.ConfinementPort confinement = io.qfence.platform.os.ProcConfinement.LIVE;

    public QemuGuests(Settings settings) {
        this(settings, Clock.systemUTC());
    }

    QemuGuests(Settings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.registry = new GuestRegistry(settings.stateDir());
        this.clock = clock;
    }

    public GuestRegistry registry() {
        return registry;
    }

    // ------------------------------------------------------------------------------------------------ observe

    @Override
    public List<Guest> observe(List<Guest> realized) {
        return GuestPortEdge.call("observe", "guests in " + settings.stateDir(), () -> observeGuests(realized));
    }

    private List<Guest> observeGuests(List<Guest> realized) {
        Map<String, Guest> wanted = new HashMap<>();
        realized.forEach(g -> wanted.put(g.vm(), g));
        List<Guest> found = new ArrayList<>();
        Set<String> recorded = new HashSet<>();
        for (GuestRegistry.Entry entry : registry.entries()) {
            recorded.add(entry.vm());
            Inspection inspection = inspect(entry);
            try {
                // An orphan that has ended is returned too (CRASHED): nothing is left to stop, but its record is, and
                // the plan's stop removes it (a record that outlives its guest would be a lie).
                found.add(inspection.guest());
            } finally {
                inspection.process().ifPresent(GuestProcess::close);
            }
        }
        for (Guest g : realized) {
            if (!recorded.contains(g.vm())) {
                unrecorded(g).ifPresent(found::add);
            }
        }
        found.addAll(strays(found, wanted));
        return withSharedJails(withConfinement(found.stream().map(this::withOomKills).toList()));
    }

    /**
     * A guest realized jailed whose jail shares a namespace with another guest's (as the confinement report just read
     * them from {@code /proc}) is not jailed: its observed config reads {@code namespaces: off (shares its ipc
     * namespace with guest b)}, which is drift, and a restart.
     */
    static List<Guest> withSharedJails(List<Guest> guests) {
        Map<String, Map<String, String>> jailed = new java.util.TreeMap<>();
        for (Guest g : guests) {
            if (GuestJail.CONFIG_JAILED.equals(g.config().get(GuestJail.CONFIG_KEY))) {
                g.runtime().confinement().ifPresent(c -> {
                    Map<String, String> namespaces = new java.util.TreeMap<>();
                    c.namespaces().forEach((kind, ns) -> namespaces.put(kind, kind + ":[" + ns.inode() + "]"));
                    jailed.put(g.vm(), namespaces);
                });
            }
        }
        Map<String, String> shared = GuestJail.sharedWithOtherGuests(jailed);
        if (shared.isEmpty()) {
            return guests;
        }
        return guests.stream().map(g -> {
            if (!shared.containsKey(g.vm())) {
                return g;
            }
            java.util.TreeMap<String, String> config = new java.util.TreeMap<>(g.config());
            config.put(GuestJail.CONFIG_KEY, "off (" + shared.get(g.vm()) + ")");
            return new Guest(g.address(), g.vm(), g.group(), g.uid(), g.gid(), g.argv(), g.configDigest(), config, g.state(), g.launch(), g.runtime());
        }).toList();
    }

    /**
     * Every running or paused guest with the confinement its QEMU really has, read from {@code /proc}; each
     * namespace names the other guests in it, so a jail that shares one with another guest shows.
     */
    private List<Guest> withConfinement(List<Guest> guests) {
        Map<String, io.qfence.model.host.GuestConfinement> read = new java.util.TreeMap<>();
        for (Guest g : guests) {
            confinement(g).ifPresent(c -> read.put(g.vm(), c));
        }
        Map<String, io.qfence.model.host.GuestConfinement> shared = io.qfence.model.host.ConfinementLayers.shared(read);
        return guests.stream().map(g -> shared.containsKey(g.vm())
                ? g.withRuntime(g.runtime().withConfinement(Optional.of(shared.get(g.vm())))) : g).toList();
    }

    private Optional<io.qfence.model.host.GuestConfinement> confinement(Guest g) {
        if ((g.state() != GuestState.RUNNING && g.state() != GuestState.PAUSED) || g.runtime().pid().isEmpty()) {
            return Optional.empty();
        }
        try {
            return confinement.read(g.runtime().pid().getAsLong(), g.launch());
        } catch (RuntimeException e) {
            return Optional.empty(); // ended while it was read: the next observation finds it crashed
        }
    }

    /** The guest with its VM cgroup's OOM-kill count, as the cgroup adapter reads it. */
    private Guest withOomKills(Guest g) {
        return g.withRuntime(g.runtime().withOomKills(oomKills(g)));
    }

    private OptionalLong oomKills(Guest g) {
        try {
            return settings.cgroups().oomKills(g.launch().cgroupPath());
        } catch (RuntimeException e) {
            return OptionalLong.empty(); // a cgroup removed meanwhile: nothing to tell
        }
    }

    /** {@link ConsoleReadiness} over the guest's serial console log (QEMU's {@code logfile=}, in its run directory). */
    @Override
    public BootStatus bootStatus(Guest guest, Optional<String> expectedInstanceId) {
        return ConsoleReadiness.read(Path.of(guest.launch().serialLog()), expectedInstanceId);
    }

    @Override
    public Optional<Guest> find(Guest realized) {
        return GuestPortEdge.call("observe", GuestPortEdge.object(realized.vm()), () -> findGuest(realized));
    }

    private Optional<Guest> findGuest(Guest realized) {
        Optional<GuestRegistry.Entry> entry = registry.find(realized.vm());
        if (entry.isEmpty()) {
            return unrecorded(realized).map(this::withOomKills);
        }
        Inspection inspection = inspect(entry.get());
        inspection.process().ifPresent(GuestProcess::close);
        Guest g = withOomKills(inspection.guest());
        // its confinement as observe shows it, except that no other guest is read, so none is named as sharing a namespace
        return Optional.of(g.withRuntime(g.runtime().withConfinement(confinement(g))));
    }

    /**
     * A guest's QEMU that runs without a record of qfence's (an apply killed between spawn and record), if any:
     * through its pidfile, else in its own cgroup (the pidfile is the VM's to delete).
     */
    private Optional<Guest> unrecorded(Guest g) {
        Optional<Located> located = locate(g);
        if (located.isEmpty()) {
            return Optional.empty();
        }
        try (GuestProcess process = located.get().process()) {
            String digest = ConfigDigest.of(located.get().info().cmdline());
            Guest base = new Guest(g.address(), g.vm(), g.group(), g.uid(), g.gid(), located.get().info().cmdline(),
                    digest, digest.equals(g.configDigest()) ? g.config() : new java.util.TreeMap<>(),
                    GuestState.RUNNING, g.launch(), GuestRuntime.NONE);
            Guest seen = withObservedJail(withQmpState(base, process), process.pid());
            return Optional.of(seen.withRuntime(seen.runtime().asUnrecorded()));
        }
    }

    /** A guest's QEMU found without a record, with the facts it was checked by. */
    private record Located(GuestProcess process, ProcessInfo info) {}

    private Optional<Located> locate(Guest g) {
        if (GuestPidFiles.find(g) instanceof GuestPidFiles.Finding.Running running) {
            return Optional.of(new Located(running.process(), running.info()));
        }
        for (long pid : pidsIn(g.launch().cgroupPath())) {
            Optional<Located> l = open(pid, g.vm(), g.launch().qmpSocket(), info -> info.runsAs(g.uid(), g.gid()) && GuestPidFiles.isQemuOf(info, g));
            if (l.isPresent()) {
                return l;
            }
        }
        return Optional.empty();
    }

    private List<Long> pidsIn(String cgroupPath) {
        try {
            return settings.cgroups().pids(cgroupPath);
        } catch (HostPortException e) {
            return List.of(); // no such cgroup
        }
    }

    /** A pidfd on {@code pid} first, then the checks; empty unless the process is alive and passes them. */
    private static Optional<Located> open(long pid, String vm, String qmpSocket, java.util.function.Predicate<ProcessInfo> ours) {
        PidFd pidFd;
        try {
            pidFd = PidFd.open(pid);
        } catch (OsException gone) {
            return Optional.empty();
        }
        Optional<ProcessInfo> info = ProcessInfo.read(pid);
        if (info.isEmpty() || pidFd.hasExited() || info.get().hasEnded() || !ours.test(info.get())) {
            pidFd.close();
            return Optional.empty();
        }
        return Optional.of(new Located(new GuestProcess(vm, pidFd, Path.of(qmpSocket), Optional.empty()), info.get()));
    }

    /**
     * Every other QEMU in a VM cgroup below the host's {@code cgroupParent}: qfence's by construction (only its launch
     * chain puts QEMU there), but neither recorded nor found through a realized guest's pidfile, e.g. the guest of a
     * VM removed from the desired state whose start was interrupted before its record. Without this, such a guest
     * ran invisibly: the plan neither showed nor stopped it, and removing its cgroup failed with EBUSY.
     */
    private List<Guest> strays(List<Guest> found, Map<String, Guest> wanted) {
        if (settings.cgroupParent().isEmpty()) {
            return List.of();
        }
        String parent = settings.cgroupParent().get();
        Set<Long> known = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        found.forEach(g -> {
            g.runtime().pid().ifPresent(known::add);
            addresses.add(g.address());
        });
        List<Guest> out = new ArrayList<>();
        List<String> cgroups;
        try {
            cgroups = settings.cgroups().list(parent, 2);
        } catch (HostPortException e) {
            return List.of();
        }
        for (String path : cgroups) {
            String[] below = path.substring(parent.length() + 1).split("/");
            if (below.length != 2) {
                continue;
            }
            for (long pid : pidsIn(path)) {
                if (known.contains(pid)) {
                    continue;
                }
                Optional<Located> l = open(pid, below[1], "/nonexistent", info -> info.uids().stream().allMatch(u -> u >= 1000) && flag(info.cmdline(), "-pidfile").isPresent()
                        && flag(info.cmdline(), "-qmp").filter(q -> q.startsWith("unix:")).isPresent());
                if (l.isEmpty()) {
                    continue;
                }
                try (GuestProcess probe = l.get().process()) {
                    Guest g = stray(below[0], below[1], path, l.get().info(), wanted.get(below[1]));
                    if (!addresses.add(g.address())) {
                        continue; // a second QEMU of one VM: the first one found is planned; unowned() reports this one
                    }
                    known.add(pid);
                    try (GuestProcess process = new GuestProcess(g.vm(), PidFd.open(pid), Path.of(g.launch().qmpSocket()), Optional.empty())) {
                        Guest seen = withQmpState(g, process);
                        out.add(seen.withRuntime(seen.runtime().asUnrecorded()));
                    } catch (OsException gone) {
                        // ended meanwhile
                    }
                }
            }
        }
        return out;
    }

    @Override
    public List<io.qfence.model.host.ForeignObject> unowned(List<Guest> found) {
        return GuestPortEdge.call("look for unowned QEMU processes", "processes", () -> unownedQemus(found));
    }

    @Override
    public List<io.qfence.model.host.ForeignObject> unusedImages(List<Guest> realized) {
        return GuestPortEdge.call("look for unused base images and overlays", "images", () -> unused(realized));
    }

    /** At most this many entries are read per directory: a report, not an inventory. */
    static final int UNUSED_SCAN_LIMIT = 1000;

    private List<io.qfence.model.host.ForeignObject> unused(List<Guest> realized) {
        Set<String> bases = new HashSet<>();
        Set<String> overlays = new HashSet<>();
        for (Guest g : realized) {
            g.launch().overlay().ifPresent(o -> {
                bases.add(o.base());
                overlays.add(o.path());
            });
        }
        List<io.qfence.model.host.ForeignObject> out = new ArrayList<>();
        Path root = settings.imagesRoot();
        for (Path file : regularFiles(root.resolve(io.qfence.model.desired.BootSource.BaseImage.BASES_DIR))) {
            if (!bases.contains(file.toString())) {
                out.add(new io.qfence.model.host.ForeignObject("base image", root.relativize(file).toString(),
                        "no VM of the desired state uses it; qfence never deletes a base image"));
            }
        }
        for (Path file : regularFiles(root.resolve(io.qfence.model.desired.BootSource.BaseImage.OVERLAYS_DIR))) {
            if (file.getFileName().toString().endsWith(".qcow2") && !overlays.contains(file.toString())) {
                out.add(new io.qfence.model.host.ForeignObject("overlay", root.relativize(file).toString(),
                        "no VM of the desired state uses it; kept with the VM's writes (qfence never deletes an overlay)"));
            }
        }
        return out;
    }

    private static List<Path> regularFiles(Path dir) {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        try (var walk = Files.walk(dir)) {
            return walk.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !p.getFileName().toString().startsWith(".")).limit(UNUSED_SCAN_LIMIT).sorted().toList();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return List.of();
        }
    }

    private List<io.qfence.model.host.ForeignObject> unownedQemus(List<Guest> found) {
        if (settings.vmUids().isEmpty()) {
            return List.of();
        }
        io.qfence.model.desired.UidRange range = settings.vmUids().get();
        Set<Long> known = new HashSet<>();
        found.forEach(g -> g.runtime().pid().ifPresent(known::add));
        List<io.qfence.model.host.ForeignObject> out = new ArrayList<>();
        java.io.File[] entries = new java.io.File("/proc").listFiles((d, name) -> name.chars().allMatch(Character::isDigit));
        for (java.io.File e : entries == null ? new java.io.File[0] : entries) {
            long pid = Long.parseLong(e.getName());
            if (known.contains(pid)) {
                continue;
            }
            Optional<Long> uid = realUid(pid);
            if (uid.isEmpty() || uid.get() < range.first() || uid.get() > range.last()) {
                continue;
            }
            Optional<ProcessInfo> info = ProcessInfo.read(pid).filter(i -> !i.hasEnded());
            if (info.isEmpty() || info.get().cmdline().isEmpty() || !Path.of(info.get().cmdline().get(0)).getFileName().toString().startsWith("qemu")) {
                continue;
            }
            out.add(new io.qfence.model.host.ForeignObject("QEMU process", "pid " + pid, "it runs as uid " + uid.get()
                    + ", one of this host's VM uids, but outside qfence's cgroups and records, so qfence did not start it"));
        }
        return out;
    }

    /** The real uid from {@code /proc/PID/status}, cheaply (most processes are not a VM's). */
    private static Optional<Long> realUid(long pid) {
        try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(Path.of("/proc", Long.toString(pid), "status"))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("Uid:")) {
                    return Optional.of(Long.parseLong(line.substring(4).strip().split("\\s+")[0]));
                }
            }
        } catch (java.io.IOException | RuntimeException gone) {
            // ended meanwhile
        }
        return Optional.empty();
    }

    /** A stray QEMU as a guest, from its command line (and, when its VM is realized with the same digest, that). */
    private static Guest stray(String group, String vm, String cgroupPath, ProcessInfo info, Guest realized) {
        List<String> argv = info.cmdline();
        String digest = ConfigDigest.of(argv);
        if (realized != null && realized.configDigest().equals(digest) && realized.launch().cgroupPath().equals(cgroupPath)) {
            return realized.withState(GuestState.RUNNING).withRuntime(GuestRuntime.NONE);
        }
        String pidFile = flag(argv, "-pidfile").orElseThrow();
        String runDir = Path.of(pidFile).getParent().toString();
        String qmp = flag(argv, "-qmp").orElseThrow().substring("unix:".length()).split(",")[0];
        Optional<String> tap = tapOf(info.pid());
        GuestLaunch launch = new GuestLaunch(runDir, qmp, runDir + "/serial.sock", runDir + "/serial.log", pidFile, List.of(), cgroupPath,
                tap, Duration.ofSeconds(30));
        long uid = info.uids().get(0);
        long gid = info.gids().get(0);
        return new Guest(io.qfence.model.host.Addresses.vm(group, vm), vm, group, uid, gid, argv, digest, new java.util.TreeMap<>(),
                GuestState.RUNNING, launch, GuestRuntime.NONE);
    }

    private static Optional<String> flag(List<String> argv, String name) {
        int i = argv.indexOf(name);
        return i >= 0 && i + 1 < argv.size() ? Optional.of(argv.get(i + 1)) : Optional.empty();
    }

    /** The tap QEMU holds as fd 3, from {@code /proc/PID/fdinfo/3} ({@code iff:} of a tun descriptor). */
    private static Optional<String> tapOf(long pid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", Long.toString(pid), "fdinfo", "3"))) {
                if (line.startsWith("iff:")) {
                    return Optional.of(line.substring(4).strip());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no fd 3, or not a tun descriptor: a user-mode guest
        }
        return Optional.empty();
    }

    /** What became of a recorded guest: its observed form, and its process while it runs (the caller closes it). */
    private record Inspection(Guest guest, Optional<GuestProcess> process) {}

    private Inspection inspect(GuestRegistry.Entry entry) {
        Guest recorded = entry.guest();
        PidFd pidFd;
        try {
            pidFd = PidFd.open(entry.pid());
        } catch (OsException e) {
            return ended(entry, "process " + entry.pid() + " no longer exists");
        }
        Optional<ProcessInfo> read = ProcessInfo.read(entry.pid());
        String problem = null;
        if (read.isEmpty() || pidFd.hasExited() || read.get().hasEnded()) {
            problem = "process " + entry.pid() + " has exited";
        } else if (read.get().startTime() != entry.startTime()) {
            problem = "process " + entry.pid() + " has exited (the pid now belongs to another process)";
        } else if (!read.get().runsAs(recorded.uid(), recorded.gid())
                || !ConfigDigest.of(read.get().cmdline()).equals(recorded.configDigest())) {
            problem = "process " + entry.pid() + " no longer runs the recorded QEMU";
        }
        if (problem != null) {
            pidFd.close();
            return ended(entry, problem);
        }
        GuestProcess process = new GuestProcess(recorded.vm(), pidFd, Path.of(recorded.launch().qmpSocket()),
                Optional.ofNullable(STARTED_HERE.get(key(entry.pid(), entry.startTime()))).flatMap(GuestProcess::exitStatus));
        return new Inspection(withObservedBase(withObservedJail(withQmpState(recorded, process), entry.pid()), entry), Optional.of(process));
    }

    /**
     * A base image changed under a running guest (DESIGN.md §17: its {@code dev:ino size mtime_ns} differs from the
     * one recorded at start) shows in the observed {@code disk} config, which then differs from the desired one:
     * drift, and a restart, with both identities in the plan's reason.
     */
    static Guest withObservedBase(Guest guest, GuestRegistry.Entry entry) {
        if (entry.baseIdentity().isEmpty() || guest.launch().overlay().isEmpty() || !guest.config().containsKey("disk")) {
            return guest;
        }
        String now = GuestDisks.identity(Path.of(guest.launch().overlay().get().base()));
        if (now.equals(entry.baseIdentity().get())) {
            return guest;
        }
        java.util.TreeMap<String, String> config = new java.util.TreeMap<>(guest.config());
        config.put("disk", guest.config().get("disk") + ", base image changed under the running guest: "
                + entry.baseIdentity().get() + " -> " + now);
        return new Guest(guest.address(), guest.vm(), guest.group(), guest.uid(), guest.gid(), guest.argv(), guest.configDigest(),
                config, guest.state(), guest.launch(), guest.runtime());
    }

    /** The base image's identity as the guest starts with it, for its record. */
    private static Optional<String> baseIdentity(Guest guest) {
        return guest.launch().overlay().map(o -> GuestDisks.identity(Path.of(o.base())));
    }

    /**
     * A guest realized to run jailed shows the jail it really has: where {@code /proc} says it shares a namespace with
     * qfence, is not PID 1 of its own, or still sees the host's root, its observed config reads
     * {@code namespaces: off (why)}, which differs from the desired {@code jail}: drift, and a restart.
     */
    static Guest withObservedJail(Guest guest, long pid) {
        if (!GuestJail.CONFIG_JAILED.equals(guest.config().get(GuestJail.CONFIG_KEY))) {
            return guest;
        }
        Optional<String> problem = GuestJail.notJailed(pid);
        if (problem.isEmpty()) {
            return guest;
        }
        java.util.TreeMap<String, String> config = new java.util.TreeMap<>(guest.config());
        config.put(GuestJail.CONFIG_KEY, "off (" + problem.get() + ")");
        return new Guest(guest.address(), guest.vm(), guest.group(), guest.uid(), guest.gid(), guest.argv(), guest.configDigest(),
                config, guest.state(), guest.launch(), guest.runtime());
    }

    private Inspection ended(GuestRegistry.Entry entry, String what) {
        Optional<ExitStatus> status = exitStatusOf(entry);
        String evidence = CrashEvidence.describe(Path.of(entry.guest().launch().runDir()), oomKills(entry.guest()), status.isPresent());
        String cause = status.map(s -> "QEMU " + s.describe() + (evidence.isEmpty() ? "" : "; ")).orElse("") + evidence;
        Guest g = entry.guest().withState(GuestState.CRASHED)
                .withRuntime(new GuestRuntime(OptionalLong.of(entry.pid()), Optional.empty(), Optional.of(what + ": " + cause)));
        return new Inspection(g, Optional.empty());
    }

    private static Optional<ExitStatus> exitStatusOf(GuestRegistry.Entry entry) {
        GuestProcess p = STARTED_HERE.get(key(entry.pid(), entry.startTime()));
        if (p == null || p.exitStatus().isEmpty()) {
            return Optional.empty();
        }
        CompletableFuture<ExitStatus> status = p.exitStatus().get();
        try {
            // The reaper completes it as soon as the process has ended; a moment's grace for the wakeup.
            return Optional.of(status.get(500, java.util.concurrent.TimeUnit.MILLISECONDS));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /** The guest's state from its monitor: running, paused (e.g. still at {@code -S}), or failed inside QEMU. */
    private Guest withQmpState(Guest guest, GuestProcess process) {
        OptionalLong pid = OptionalLong.of(process.pid());
        try {
            return process.withQmp(settings.qmpTimeout(), qmp -> {
                QmpStatus status = qmp.queryStatus(settings.qmpTimeout());
                Optional<String> name = qmp.queryName(settings.qmpTimeout());
                String shown = status.status() + (name.equals(Optional.of(guest.vm())) ? "" : " (names itself " + name.orElse("nothing") + ")");
                GuestState state = switch (status.status()) {
                    case "running" -> GuestState.RUNNING;
                    case "guest-panicked", "internal-error", "io-error", "shutdown" -> GuestState.CRASHED;
                    default -> GuestState.PAUSED;
                };
                Optional<String> cause = state == GuestState.CRASHED
                        ? Optional.of("QEMU reports " + status.status() + "; " + CrashEvidence.describe(Path.of(guest.launch().runDir()), oomKills(guest), true))
                        : Optional.empty();
                return guest.withState(state).withRuntime(new GuestRuntime(pid, Optional.of(shown), cause));
            });
        } catch (QmpException e) {
            // The process is this guest's and alive; only its monitor does not answer (busy with another client, or
            // hung). It still runs: say so, and why nothing more is known.
            return guest.withState(GuestState.RUNNING)
                    .withRuntime(new GuestRuntime(pid, Optional.of("monitor did not answer: " + e.getMessage()), Optional.empty()));
        }
    }

    // ------------------------------------------------------------------------------------------------ start

    /**
     * What is certain to stop these guests' starts, from the file system alone: the QEMU binary is an executable file,
     * the images root is a directory and every image a regular file in it, and the run directory exists or can be
     * made (its nearest existing ancestor is a directory). The launcher checks all of it again, strictly (no symbolic
     * link below the images root, ownership and modes), when it starts each guest.
     */
    @Override
    public List<String> preflight(List<Guest> starting) {
        if (starting.isEmpty()) {
            return List.of();
        }
        java.util.Set<String> problems = new java.util.LinkedHashSet<>();
        Path images = settings.imagesRoot();
        boolean imagesThere = Files.isDirectory(images);
        if (!imagesThere) {
            problems.add("imagesRoot " + images + " is not a directory (" + what(images) + "); the guests to start boot from it");
        }
        for (Guest g : starting) {
            Path binary = Path.of(g.argv().get(0));
            if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
                problems.add("the QEMU binary " + binary + " is not an executable file (" + what(binary) + ")");
            }
            if (imagesThere) {
                for (String image : g.launch().images()) {
                    Path file = Path.of(image);
                    boolean overlay = g.launch().overlay().filter(o -> o.path().equals(image)).isPresent();
                    if (!overlay && !Files.isRegularFile(file)) {
                        problems.add("image " + file + " of " + g.vm() + " is not a file (" + what(file) + ")");
                    }
                }
            }
            if (g.launch().overlay().isPresent() && !Files.isExecutable(GuestDisks.qemuImg(binary))) {
                problems.add("qemu-img (" + GuestDisks.qemuImg(binary) + ", package qemu-utils) is missing; it creates the overlay of " + g.vm());
            }
            if (g.launch().seed().isPresent() && !Files.isExecutable(GuestDisks.XORRISO)) {
                problems.add("xorriso (" + GuestDisks.XORRISO + ") is missing; it writes the cloud-init seed of " + g.vm());
            }
            Path runDir = Path.of(g.launch().runDir()).getParent();
            Path existing = runDir;
            while (existing != null && !Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing == null || !Files.isDirectory(existing)) {
                problems.add("runDir " + runDir + " cannot be created: " + existing + " is not a directory");
            } else {
                // QEMU runs as the VM's uid and creates its sockets and pidfile in runDir/<vm>/: every directory above
                // must let others through (measured: a runDir under a 0700 mktemp directory fails every start with
                // "cannot create PID file: Permission denied", after the network and cgroups are in place)
                closed(existing).ifPresent(d -> problems.add("runDir " + runDir + " is below " + d
                        + ", which the VMs' uids cannot pass through; QEMU could not create its files"));
            }
            if (imagesThere) {
                // likewise QEMU opens its kernel and initrd itself: an images root under /root (0700) fails every start
                closed(images).ifPresent(d -> problems.add("imagesRoot " + images + " is below " + d
                        + ", which the VMs' uids cannot pass through; QEMU could not open its images"));
            }
        }
        return List.copyOf(problems);
    }

    /** The nearest directory at or above {@code dir} that others cannot pass through (no o+x), with its mode. */
    private static Optional<String> closed(Path dir) {
        for (Path d = dir.toAbsolutePath(); d != null; d = d.getParent()) {
            try {
                int mode = (Integer) Files.getAttribute(d, "unix:mode");
                if ((mode & 0001) == 0) {
                    return Optional.of(d + " (mode 0" + Integer.toOctalString(mode & 07777) + ")");
                }
            } catch (java.io.IOException | UnsupportedOperationException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static String what(Path p) {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return "it does not exist";
        }
        if (Files.isDirectory(p)) {
            return "it is a directory";
        }
        return Files.isRegularFile(p) ? "it is not executable" : "it is not a regular file";
    }

    @Override
    public void start(Guest guest, Progress progress) {
        GuestPortEdge.run("start", GuestPortEdge.object(guest.vm()), () -> startGuest(guest, progress));
    }

    private void startGuest(Guest guest, Progress progress) {
        String address = guest.address();
        Optional<GuestRegistry.Entry> entry = registry.find(guest.vm());
        if (entry.isPresent()) {
            Inspection inspection = inspect(entry.get());
            try {
                if (inspection.process().isPresent()) {
                    if (entry.get().guest().configDigest().equals(guest.configDigest()) && inspection.guest().state() == GuestState.RUNNING) {
                        progress.step(address, "already running as pid " + entry.get().pid());
                        return;
                    }
                    throw new GuestLaunchException("guest " + guest.vm() + " already runs as pid " + entry.get().pid() + " ("
                            + inspection.guest().state().name().toLowerCase(java.util.Locale.ROOT)
                            + (entry.get().guest().configDigest().equals(guest.configDigest()) ? "" : ", with another configuration")
                            + "); the plan stops it first");
                }
            } finally {
                inspection.process().ifPresent(GuestProcess::close);
            }
            progress.step(address, "previous run ended (" + inspection.guest().runtime().exitCause().orElse("") + ")");
            forget(entry.get());
        } else {
            Optional<Located> located = locate(guest);
            if (located.isPresent()) {
                try (GuestProcess process = located.get().process()) {
                    Guest seen = withObservedJail(withQmpState(guest, process), process.pid());
                    if (ConfigDigest.of(located.get().info().cmdline()).equals(guest.configDigest()) && seen.state() == GuestState.RUNNING
                            && seen.config().equals(guest.config())) {
                        registry.record(new GuestRegistry.Entry(runningForm(guest), process.pid(), located.get().info().startTime(), clock.instant(),
                                baseIdentity(guest)));
                        progress.step(address, "adopted: already running as pid " + process.pid() + " (found without a record: recorded now)");
                        return;
                    }
                    throw new GuestLaunchException("guest " + guest.vm() + " has an unrecorded QEMU (pid " + process.pid() + ", "
                            + seen.state().name().toLowerCase(java.util.Locale.ROOT) + "); the plan stops it first");
                }
            }
        }

        progress.step(address, "starting paused (-S) as uid " + guest.uid() + " in cgroup " + guest.launch().cgroupPath()
                + guest.launch().tap().map(t -> " on tap " + t).orElse(" with user-mode networking"));
        GuestLauncher.Options options = options(guest);
        GuestLauncher.Launched launched;
        boolean[] recorded = {false};
        try {
            // The record is written after the checks and before cont (DESIGN.md §9): from then on a qfence killed at
            // any point leaves a guest it knows, paused or running, never a running guest without a record.
            launched = GuestLauncher.launch(guest, options, (process, info) -> {
                registry.record(new GuestRegistry.Entry(runningForm(guest), process.pid(), info.startTime(), clock.instant(),
                        baseIdentity(guest)));
                recorded[0] = true;
                progress.step(address, "checked (uid " + guest.uid() + ", no capabilities, seccomp " + info.seccomp() + ", cgroups, command line"
                        + options.apparmor().map(p -> ", AppArmor " + p.name()).orElse("") + (options.jail() ? ", jail" : "")
                        + ") and recorded as pid " + process.pid()
                        + "; cont");
            });
        } catch (RuntimeException e) {
            if (recorded[0]) {
                registry.remove(guest.vm()); // the launcher killed it: no record of a guest that never ran
            }
            throw e; // a failure is reported once, by whoever ran this start (apply prints it on the step's line)
        }
        GuestProcess process = launched.process();
        ProcessInfo info = process.info().orElseThrow(() -> new GuestLaunchException("guest " + guest.vm() + " ended right after it started"));
        STARTED_HERE.put(key(process.pid(), info.startTime()), process);
        progress.step(address, "running as pid " + process.pid()
                + " (QMP after " + launched.untilQmp().toMillis() + " ms, running after " + launched.untilRunning().toMillis() + " ms"
                + launched.jail().map(j -> "; " + j.describe()).orElse("") + ")");
    }

    private GuestLauncher.Options options(Guest guest) {
        List<Path> cgroupDirs = settings.cgroups().directories(guest.launch().cgroupPath());
        GuestLauncher.Options options = new GuestLauncher.Options(settings.imagesRoot(), cgroupDirs, settings.netns(), Optional.empty(),
                LaunchChain.DEFAULT_SETPRIV, settings.startTimeout());
        if ("enforce".equals(guest.config().get("apparmor"))) {
            if (!AppArmorProfiles.available()) {
                throw new GuestLaunchException("guest " + guest.vm() + " is to run under AppArmor, but AppArmor is not available here");
            }
            options = options.withAppArmor(AppArmorProfiles.render(guest, "kvm".equals(guest.config().get("accel"))));
        }
        if (GuestJail.CONFIG_JAILED.equals(guest.config().get(GuestJail.CONFIG_KEY))) {
            // the jail's namespaces must be none of the other recorded guests' (read at the check, DESIGN.md §9)
            options = options.jailed(settings.stateDir()).withPeers(() -> registry.entries().stream().filter(e -> !e.vm().equals(guest.vm()))
                    .map(e -> new GuestJail.Peer(e.vm(), e.pid(), e.startTime())).toList());
        }
        return options;
    }

    private static Guest runningForm(Guest guest) {
        return guest.withState(GuestState.RUNNING).withRuntime(GuestRuntime.NONE);
    }

    // ------------------------------------------------------------------------------------------------ stop

    @Override
    public void stop(Guest guest, Progress progress) {
        GuestPortEdge.run("stop", GuestPortEdge.object(guest.vm()), () -> stopGuest(guest, progress));
    }

    private void stopGuest(Guest guest, Progress progress) {
        String address = guest.address();
        Optional<GuestRegistry.Entry> entry = registry.find(guest.vm());
        GuestProcess process = null;
        Duration stopTimeout = guest.launch().stopTimeout();
        if (entry.isPresent()) {
            Inspection inspection = inspect(entry.get());
            process = inspection.process().orElse(null);
            if (process == null) {
                progress.step(address, "not running (" + inspection.guest().runtime().exitCause().orElse("ended") + "); its record is removed");
            }
        } else {
            process = locate(guest).map(Located::process).orElse(null);
            if (process == null) {
                progress.step(address, "not running");
            }
        }
        if (process != null) {
            try {
                if (!runsGuestCode(process)) {
                    // Paused (an interrupted start leaves QEMU at -S): no guest code runs to handle the power button.
                    progress.step(address, "stopping pid " + process.pid() + ": paused, so quit, then SIGKILL");
                    stopTimeout = Duration.ZERO;
                } else {
                    progress.step(address, "stopping pid " + process.pid() + ": power button, up to " + stopTimeout.toSeconds()
                            + " s, then quit, then SIGKILL");
                }
                process.stop(stopTimeout, step -> progress.step(address, step.toString()));
            } finally {
                process.close();
            }
        }
        entry.ifPresent(this::forget);
    }

    /** Whether QMP says the guest runs (a monitor that does not answer counts as running: the power button first). */
    private boolean runsGuestCode(GuestProcess process) {
        try {
            return process.withQmp(settings.qmpTimeout(), qmp -> qmp.queryStatus(settings.qmpTimeout()).running());
        } catch (QmpException e) {
            return true;
        }
    }

    private void forget(GuestRegistry.Entry entry) {
        GuestProcess started = STARTED_HERE.remove(key(entry.pid(), entry.startTime()));
        if (started != null) {
            started.close();
        }
        registry.remove(entry.vm());
    }

    private static String key(long pid, long startTime) {
        return pid + "@" + startTime;
    }
}
