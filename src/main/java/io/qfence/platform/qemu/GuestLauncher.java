package io.qfence.platform.qemu;

import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.platform.os.Descriptor;
import io.qfence.platform.os.ExitStatus;
import io.qfence.platform.os.Jail;
import io.qfence.platform.os.JailLayout;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Spawner;
import io.qfence.platform.os.Tun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Starts a realized guest (DESIGN.md §9), fail-closed:
 * <ol>
 *   <li>checks the command line ({@link QemuArgvPolicy}), prepares the run directory and the images;</li>
 *   <li>opens the VM's tap (bridged guests) and spawns the {@link LaunchChain} with the tap as fd 3, every other
 *       descriptor closed, in a new session, in the network namespace qfence manages;</li>
 *   <li>waits for QMP; checks uid and gid, no groups, {@code no_new_privs}, seccomp mode 2, no capabilities, the
 *       cgroups, the exact command line, the AppArmor label, and that QEMU is still at {@code -S};</li>
 *   <li>hands the checked process to the caller ({@link BeforeCont}: qfence records it), and only then
 *       {@code cont}. Any failure kills the process before the guest ever ran.</li>
 * </ol>
 */
public final class GuestLauncher {

    /** Where the launch chain's own errors and QEMU's stdout and stderr go, in the run directory. */
    public static final String QEMU_LOG = "qemu.log";

    /**
     * How to launch on this host.
     *
     * @param imagesRoot   the host's imagesRoot: every image must resolve under it
     * @param cgroupDirs   the VM's cgroup directory in each hierarchy (see {@link CgroupDirs}); they must exist
     * @param netns        the network namespace qfence manages: the tap is opened and QEMU is spawned there.
     *                     Empty means the caller's own namespace.
     * @param apparmor     the VM's profile, loaded before the spawn and entered at exec; empty where there is no
     *                     AppArmor
     * @param setpriv      the setpriv binary
     * @param startTimeout how long QEMU may take to offer QMP
     * @param jail         whether QEMU runs in a jail of its own
     * @param jailCacheDir where the jail's library listings are kept across processes ({@link JailLibraries}: the
     *                     state directory); empty keeps them in this process only
     * @param peers        the other guests qfence has recorded, asked for at the jail's check: its namespaces must
     *                     be none of theirs (those being launched by this process are added, {@link #IN_FLIGHT})
     */
    public record Options(Path imagesRoot, List<Path> cgroupDirs, Optional<NetNamespace> netns,
                          Optional<AppArmorProfiles.Profile> apparmor, Path setpriv, Duration startTimeout, boolean jail,
                          Optional<Path> jailCacheDir, Supplier<List<GuestJail.Peer>> peers) {
        public Options {
            Objects.requireNonNull(peers, "peers");
            Objects.requireNonNull(imagesRoot, "imagesRoot");
            cgroupDirs = List.copyOf(cgroupDirs);
            if (cgroupDirs.isEmpty()) {
                throw new IllegalArgumentException("a guest must be placed in at least one cgroup");
            }
            Objects.requireNonNull(netns, "netns");
            Objects.requireNonNull(apparmor, "apparmor");
            Objects.requireNonNull(setpriv, "setpriv");
            Objects.requireNonNull(startTimeout, "startTimeout");
            Objects.requireNonNull(jailCacheDir, "jailCacheDir");
        }

        public Options(Path imagesRoot, List<Path> cgroupDirs, Optional<NetNamespace> netns,
                       Optional<AppArmorProfiles.Profile> apparmor, Path setpriv, Duration startTimeout) {
            this(imagesRoot, cgroupDirs, netns, apparmor, setpriv, startTimeout, false, Optional.empty(), List::of);
        }

        public Options(Path imagesRoot, List<Path> cgroupDirs, Optional<NetNamespace> netns,
                       Optional<AppArmorProfiles.Profile> apparmor, Path setpriv, Duration startTimeout, boolean jail,
                       Optional<Path> jailCacheDir) {
            this(imagesRoot, cgroupDirs, netns, apparmor, setpriv, startTimeout, jail, jailCacheDir, List::of);
        }

        /** The same, the jail's check comparing its namespaces with those of {@code peers} too. */
        public Options withPeers(Supplier<List<GuestJail.Peer>> peers) {
            return new Options(imagesRoot, cgroupDirs, netns, apparmor, setpriv, startTimeout, jail, jailCacheDir, peers);
        }

        /** QEMU in a jail of its own (DESIGN.md §9, "The guest jail"). */
        public Options jailed() {
            return new Options(imagesRoot, cgroupDirs, netns, apparmor, setpriv, startTimeout, true, jailCacheDir, peers);
        }

        /** The same, the jail's library listings kept in {@code stateDir} across qfence processes. */
        public Options jailed(Path stateDir) {
            return new Options(imagesRoot, cgroupDirs, netns, apparmor, setpriv, startTimeout, true, Optional.of(stateDir), peers);
        }

        public static Options of(Path imagesRoot, List<Path> cgroupDirs) {
            return new Options(imagesRoot, cgroupDirs, Optional.empty(), Optional.empty(), LaunchChain.DEFAULT_SETPRIV, Duration.ofSeconds(15));
        }

        public Options inNamespace(NetNamespace namespace) {
            return new Options(imagesRoot, cgroupDirs, Optional.of(namespace), apparmor, setpriv, startTimeout, jail, jailCacheDir, peers);
        }

        public Options withAppArmor(AppArmorProfiles.Profile profile) {
            return new Options(imagesRoot, cgroupDirs, netns, Optional.of(profile), setpriv, startTimeout, jail, jailCacheDir, peers);
        }
    }

    /**
     * A guest that passed its checks and runs.
     *
     * @param untilQmp     from spawn to the QMP greeting
     * @param untilRunning from spawn to {@code cont} answered
     * @param jail         where a jailed start spent the jail's own time; empty without the jail
     */
    public record Launched(GuestProcess process, Duration untilQmp, Duration untilRunning, Optional<JailTimes> jail) {
        public Launched {
            Objects.requireNonNull(jail, "jail");
        }
    }

    /**
     * The jail's own part of a start (DESIGN.md §9, "Cost"), measured on every jailed start and reported with it:
     * computing its contents (the library listings, from the cache when nothing changed, and the layout), the jail's
     * thread ({@link Jail.Phases}: namespaces, root, spawn, pivot), detaching the host's root and the jail's checks
     * before {@code cont}.
     */
    public record JailTimes(Duration contents, Jail.Phases thread, Duration detach, Duration checks) {
        public JailTimes {
            Objects.requireNonNull(contents, "contents");
            Objects.requireNonNull(thread, "thread");
            Objects.requireNonNull(detach, "detach");
            Objects.requireNonNull(checks, "checks");
        }

        /** One line for the start's progress: {@code jail: contents 1.2 ms, root 6.0 ms (...), checks 9.1 ms}. */
        public String describe() {
            return "jail: contents " + ms(contents.toNanos()) + ", namespaces " + ms(thread.namespaces()) + ", root " + ms(thread.root())
                    + ", spawn " + ms(thread.spawn()) + ", pivot " + ms(thread.pivot()) + ", detach " + ms(detach.toNanos())
                    + ", checks " + ms(checks.toNanos());
        }

        private static String ms(long nanos) {
            return String.format(java.util.Locale.ROOT, "%.1f ms", nanos / 1e6);
        }
    }

    /**
     * What the caller does once the guest passed its checks and before {@code cont}: qfence writes its record there,
     * so that no guest ever runs without one. Throwing kills the guest before it ran.
     */
    @FunctionalInterface
    public interface BeforeCont {
        BeforeCont NOTHING = (process, info) -> { };

        void checked(GuestProcess process, ProcessInfo info);
    }

    /**
     * The jailed guests this process is launching, by pid: not recorded yet (the record is written after the checks),
     * so two guests started at once are compared with each other through this map.
     */
    static final java.util.concurrent.ConcurrentMap<Long, GuestJail.Peer> IN_FLIGHT = new java.util.concurrent.ConcurrentHashMap<>();

    private GuestLauncher() {}

    public static Launched launch(Guest guest, Options options) {
        return launch(guest, options, BeforeCont.NOTHING);
    }

    public static Launched launch(Guest guest, Options options, BeforeCont beforeCont) {
        GuestLaunch launch = guest.launch();
        List<String> problems = QemuArgvPolicy.violations(guest.argv(), launch);
        if (!problems.isEmpty()) {
            throw new GuestLaunchException("refusing to start " + guest.vm() + ": " + String.join("; ", problems));
        }
        Path runDir = Path.of(launch.runDir());
        GuestFiles.prepareRunDir(runDir, guest.uid(), guest.gid());
        List<String> bootFiles = bootFiles(guest.argv());
        // DESIGN.md §17: the overlay is made (once, never over an existing one) and the seed written before QEMU runs
        launch.overlay().ifPresent(o -> GuestDisks.ensureOverlay(options.imagesRoot(), o,
                GuestDisks.qemuImg(Path.of(guest.argv().get(0))), guest.uid(), guest.gid()));
        launch.seed().ifPresent(s -> GuestDisks.writeSeed(s, GuestDisks.XORRISO));
        for (String image : launch.images()) {
            if (bootFiles.contains(image)) {
                GuestFiles.shareBootFile(options.imagesRoot(), Path.of(image));
            } else if (launch.sharedImages().contains(image)) {
                GuestDisks.shareBase(options.imagesRoot(), Path.of(image));
            } else {
                GuestFiles.claimDisk(options.imagesRoot(), Path.of(image), guest.uid(), guest.gid());
            }
        }
        for (Path dir : options.cgroupDirs()) {
            if (!Files.isRegularFile(dir.resolve("cgroup.procs"))) {
                throw new GuestLaunchException("cgroup " + dir + " of " + guest.vm() + " does not exist");
            }
        }
        options.apparmor().ifPresent(AppArmorProfiles::load);

        long contentsFrom = System.nanoTime();
        JailLibraries cache = options.jailCacheDir().map(GuestJail::libraryCache).orElse(null);
        Optional<JailLayout> layout = options.jail()
                ? Optional.of(cache == null ? GuestJail.layout(guest) : GuestJail.layout(guest, cache)) : Optional.empty();
        Path program;
        List<String> chain;
        long contents = 0;
        if (layout.isPresent()) {
            GuestJail.HostTools tools = cache == null ? GuestJail.hostTools(options.setpriv()) : GuestJail.hostTools(options.setpriv(), cache);
            contents = System.nanoTime() - contentsFrom;
            program = LaunchChain.SHELL;
            chain = LaunchChain.jailedArgv(options.cgroupDirs(), guest.uid(), guest.gid(),
                    options.apparmor().map(AppArmorProfiles.Profile::name), tools, guest.argv());
        } else {
            program = LaunchChain.SHELL;
            chain = LaunchChain.argv(options.cgroupDirs(), guest.uid(), guest.gid(),
                    options.apparmor().map(AppArmorProfiles.Profile::name), options.setpriv(), guest.argv());
        }
        List<Spawner.FdAction> fds = new ArrayList<>(List.of(
                new Spawner.FdAction.OpenRead(0, Path.of("/dev/null")),
                new Spawner.FdAction.CreateNew(1, runDir.resolve(QEMU_LOG), 0600),
                new Spawner.FdAction.Duplicate(1, 2)));
        long spawnedAt;
        Spawner.Spawned spawned;
        Jail jail = null;
        Descriptor tap = launch.tap().map(name -> inNamespace(options, () -> Tun.openTap(name))).orElse(null);
        try {
            if (tap != null) {
                fds.add(new Spawner.FdAction.Inherit(tap, 3));
            }
            Spawner.Request request = new Spawner.Request(program, chain, LaunchChain.ENVIRONMENT, fds, tap != null ? 4 : 3, true);
            spawnedAt = System.nanoTime();
            if (layout.isPresent()) {
                // the jail's own thread enters the network namespace itself
                jail = Jail.spawn(layout.get(), runDir.getParent(), options.netns(), request);
                spawned = jail.spawned();
            } else {
                spawned = inNamespace(options, () -> Spawner.spawn(request));
            }
        } finally {
            if (tap != null) {
                tap.close(); // QEMU has its own copy now
            }
        }

        PidFd pidFd = PidFd.open(spawned.pid());
        GuestProcess process = new GuestProcess(guest.vm(), pidFd, Path.of(launch.qmpSocket()), Optional.of(spawned.exit()));
        long pid = spawned.pid();
        try {
            if (jail != null) {
                process.info().ifPresent(i -> IN_FLIGHT.put(pid, new GuestJail.Peer(guest.vm(), pid, i.startTime())));
            }
            Duration untilQmp = awaitQmp(guest, process, spawned, runDir, spawnedAt, options.startTimeout());
            long detachFrom = System.nanoTime();
            if (jail != null) {
                // QEMU answers on QMP, so setpriv has exec'd it: nothing needs the host's root any more
                jail.detachHostRoot();
            }
            long detach = System.nanoTime() - detachFrom;
            List<String> failed = check(guest, options, process);
            long checksFrom = System.nanoTime();
            layout.ifPresent(l -> failed.addAll(GuestJail.violations(info(guest, process), l, peers(guest, options))));
            long checks = System.nanoTime() - checksFrom;
            if (!failed.isEmpty()) {
                throw new GuestLaunchException("guest " + guest.vm() + " failed its checks and was killed: " + String.join("; ", failed));
            }
            beforeCont.checked(process, process.info().orElseThrow(() -> new GuestLaunchException("QEMU for " + guest.vm() + " vanished")));
            Duration qmpTimeout = qmpTimeout(options);
            process.withQmp(qmpTimeout, qmp -> {
                qmp.cont(qmpTimeout);
                QmpStatus status = qmp.queryStatus(qmpTimeout);
                if (!status.running()) {
                    throw new GuestLaunchException("guest " + guest.vm() + " is " + status.status() + " after cont");
                }
                return null;
            });
            Optional<JailTimes> times = jail == null ? Optional.empty()
                    : Optional.of(new JailTimes(Duration.ofNanos(contents), jail.phases(), Duration.ofNanos(detach), Duration.ofNanos(checks)));
            return new Launched(process, untilQmp, Duration.ofNanos(System.nanoTime() - spawnedAt), times);
        } catch (RuntimeException e) {
            process.kill();
            process.close();
            throw e instanceof GuestLaunchException ? e : new GuestLaunchException("starting " + guest.vm() + " failed: " + e.getMessage(), e);
        } finally {
            IN_FLIGHT.remove(pid);
            if (jail != null) {
                jail.close();
            }
        }
    }

    /** The other guests the jail's namespaces are compared with: those recorded, and those this process is launching. */
    private static List<GuestJail.Peer> peers(Guest guest, Options options) {
        List<GuestJail.Peer> peers = new ArrayList<>(options.peers().get());
        IN_FLIGHT.values().stream().filter(p -> !p.vm().equals(guest.vm())).forEach(peers::add);
        return peers;
    }

    private static ProcessInfo info(Guest guest, GuestProcess process) {
        return process.info().orElseThrow(() -> new GuestLaunchException("QEMU for " + guest.vm() + " vanished"));
    }

    /** The files QEMU only reads at start: the values of {@code -kernel} and {@code -initrd}. */
    static List<String> bootFiles(List<String> argv) {
        List<String> files = new ArrayList<>();
        for (int i = 1; i < argv.size() - 1; i++) {
            if (argv.get(i).equals("-kernel") || argv.get(i).equals("-initrd")) {
                files.add(argv.get(i + 1));
            }
        }
        return files;
    }

    private static Duration awaitQmp(Guest guest, GuestProcess process, Spawner.Spawned spawned, Path runDir, long spawnedAt, Duration timeout) {
        long deadline = spawnedAt + timeout.toNanos();
        QmpException last = null;
        while (System.nanoTime() < deadline) {
            if (process.hasExited()) {
                throw new GuestLaunchException("QEMU for " + guest.vm() + " exited before offering QMP: " + exitOf(spawned)
                        + "; " + CrashEvidence.tail(runDir.resolve(QEMU_LOG), 5));
            }
            if (Files.exists(process.qmpSocket())) {
                try {
                    Duration remaining = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
                    // A successful connect proves the greeting came; the client is closed at once.
                    process.withQmp(remaining, qmp -> null);
                    return Duration.ofNanos(System.nanoTime() - spawnedAt);
                } catch (QmpException.Connection e) {
                    last = e; // bound but not yet listening: retry
                }
            }
            process.awaitExit(Duration.ofMillis(10));
        }
        throw new GuestLaunchException("QEMU for " + guest.vm() + " did not offer QMP within " + timeout.toMillis() + " ms"
                + (last == null ? "" : ": " + last.getMessage()));
    }

    private static String exitOf(Spawner.Spawned spawned) {
        try {
            ExitStatus status = spawned.exit().get(2, TimeUnit.SECONDS);
            String meaning = status.equals(new ExitStatus.Exited(LaunchChain.EXIT_CGROUP_JOIN_FAILED)) ? " (could not join its cgroup)"
                    : status.equals(new ExitStatus.Exited(LaunchChain.EXIT_PROC_MOUNT_FAILED)) ? " (could not mount its /proc)" : "";
            return status.describe() + meaning;
        } catch (Exception e) {
            return "exit status unknown";
        }
    }

    /** The checks before {@code cont}; every failed one, or empty. */
    static List<String> check(Guest guest, Options options, GuestProcess process) {
        List<String> failed = new ArrayList<>();
        ProcessInfo info = process.info().orElseThrow(() -> new GuestLaunchException("QEMU for " + guest.vm() + " vanished"));
        if (!info.runsAs(guest.uid(), guest.gid())) {
            failed.add("runs as uids " + info.uids() + " gids " + info.gids() + ", expected " + guest.uid() + "/" + guest.gid());
        }
        if (!info.groups().isEmpty()) {
            failed.add("has supplementary groups " + info.groups());
        }
        if (!info.noNewPrivs()) {
            failed.add("no_new_privs is not set");
        }
        if (info.seccomp() != 2) {
            failed.add("seccomp mode is " + info.seccomp() + ", expected 2 (filter)");
        }
        if (!info.hasNoCapabilities()) {
            failed.add("has capabilities: eff " + info.capEff() + " prm " + info.capPrm() + " bnd " + info.capBnd() + " amb " + info.capAmb());
        }
        if (!info.cmdline().equals(guest.argv())) {
            failed.add("runs a different command line than the realized one");
        }
        for (Path dir : options.cgroupDirs()) {
            if (!cgroupHas(dir, info.pid())) {
                failed.add("is not in cgroup " + dir);
            }
        }
        options.apparmor().ifPresent(profile -> {
            String expected = profile.name() + " (enforce)";
            if (!info.apparmor().map(expected::equals).orElse(false)) {
                failed.add("AppArmor label is " + info.apparmor().orElse("none") + ", expected " + expected);
            }
        });
        Duration qmpTimeout = qmpTimeout(options);
        process.withQmp(qmpTimeout, qmp -> {
            QmpStatus status = qmp.queryStatus(qmpTimeout);
            if (status.running() || !status.status().equals("prelaunch")) {
                failed.add("QEMU is " + status.status() + " before cont, expected prelaunch (-S)");
            }
            Optional<String> name = qmp.queryName(qmpTimeout);
            if (!name.equals(Optional.of(guest.vm()))) {
                failed.add("QEMU names itself " + name.orElse("nothing") + ", expected " + guest.vm());
            }
            return null;
        });
        return failed;
    }

    /**
     * How long each QMP exchange of a start may take: the start timeout, at least {@link QmpClient#DEFAULT_TIMEOUT}.
     * A QEMU that has just started shares the CPU with the other guests' boots; on a busy 2-core machine its first
     * answers took more than 5 s.
     */
    static Duration qmpTimeout(Options options) {
        return options.startTimeout().compareTo(QmpClient.DEFAULT_TIMEOUT) > 0 ? options.startTimeout() : QmpClient.DEFAULT_TIMEOUT;
    }

    static boolean cgroupHas(Path dir, long pid) {
        try {
            return Files.readAllLines(dir.resolve("cgroup.procs")).contains(Long.toString(pid));
        } catch (IOException e) {
            return false;
        }
    }

    private static <T> T inNamespace(Options options, Supplier<T> work) {
        if (options.netns().isPresent()) {
            return options.netns().get().call(work::get);
        }
        return work.get();
    }

}
