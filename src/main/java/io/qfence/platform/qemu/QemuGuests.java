package io.qfence.platform.qemu;

import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.os.ExitStatus;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.OsException;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.realize.ConfigDigest;
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
     */
    public record Settings(Path imagesRoot, Path stateDir, CgroupFs cgroups, Optional<NetNamespace> netns,
                           Duration startTimeout, Duration qmpTimeout) {
        public Settings {
            Objects.requireNonNull(imagesRoot, "imagesRoot");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(cgroups, "cgroups");
            Objects.requireNonNull(netns, "netns");
            Objects.requireNonNull(startTimeout, "startTimeout");
            Objects.requireNonNull(qmpTimeout, "qmpTimeout");
        }

        public static Settings of(Path imagesRoot, Path stateDir, CgroupFs cgroups) {
            return new Settings(imagesRoot, stateDir, cgroups, Optional.empty(), Duration.ofSeconds(30), Duration.ofSeconds(2));
        }

        public Settings inNamespace(NetNamespace namespace) {
            return new Settings(imagesRoot, stateDir, cgroups, Optional.of(namespace), startTimeout, qmpTimeout);
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
        Map<String, Guest> wanted = new HashMap<>();
        realized.forEach(g -> wanted.put(g.vm(), g));
        List<Guest> found = new ArrayList<>();
        Set<String> recorded = new HashSet<>();
        for (GuestRegistry.Entry entry : registry.entries()) {
            recorded.add(entry.vm());
            Inspection inspection = inspect(entry);
            try {
                if (inspection.process().isEmpty() && !wanted.containsKey(entry.vm())) {
                    // An orphan that has ended: nothing is left to stop. Its record stays (a start of that VM drops
                    // it): a caller may pass a subset of the realized guests (a scoped observation), so "not
                    // realized" here is not proof that the desired state no longer names it.
                    continue;
                }
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
        return found;
    }

    @Override
    public Optional<Guest> find(Guest realized) {
        Optional<GuestRegistry.Entry> entry = registry.find(realized.vm());
        if (entry.isEmpty()) {
            return unrecorded(realized);
        }
        Inspection inspection = inspect(entry.get());
        inspection.process().ifPresent(GuestProcess::close);
        return Optional.of(inspection.guest());
    }

    /** A realized guest's QEMU that runs without a record of qfence's (a crash between spawn and record), if any. */
    private Optional<Guest> unrecorded(Guest g) {
        if (!(GuestPidFiles.find(g) instanceof GuestPidFiles.Finding.Running running)) {
            return Optional.empty();
        }
        try (GuestProcess process = running.process()) {
            // Ours (its uid and -pidfile), but without a record: its configuration is what /proc shows.
            Guest base = new Guest(g.address(), g.vm(), g.group(), g.uid(), g.gid(), running.info().cmdline(),
                    running.observedDigest(), running.observedDigest().equals(g.configDigest()) ? g.config() : new java.util.TreeMap<>(),
                    GuestState.RUNNING, g.launch(), GuestRuntime.NONE);
            return Optional.of(withQmpState(base, process));
        }
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
        return new Inspection(withQmpState(recorded, process), Optional.of(process));
    }

    private Inspection ended(GuestRegistry.Entry entry, String what) {
        String cause = exitStatusOf(entry).map(s -> "QEMU " + s.describe() + "; ").orElse("")
                + CrashEvidence.describe(Path.of(entry.guest().launch().runDir()),
                        settings.cgroups().directories(entry.guest().launch().cgroupPath()));
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
                        ? Optional.of("QEMU reports " + status.status() + "; " + CrashEvidence.describe(Path.of(guest.launch().runDir()),
                                settings.cgroups().directories(guest.launch().cgroupPath())))
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
                    if (!Files.isRegularFile(file)) {
                        problems.add("image " + file + " of " + g.vm() + " is not a file (" + what(file) + ")");
                    }
                }
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
                            + "); stop it first");
                }
            } finally {
                inspection.process().ifPresent(GuestProcess::close);
            }
            progress.step(address, "previous run ended (" + inspection.guest().runtime().exitCause().orElse("") + ")");
            forget(entry.get());
        } else if (GuestPidFiles.find(guest) instanceof GuestPidFiles.Finding.Running running) {
            try (GuestProcess process = running.process()) {
                Guest seen = withQmpState(guest, process);
                if (running.observedDigest().equals(guest.configDigest()) && seen.state() == GuestState.RUNNING) {
                    registry.record(new GuestRegistry.Entry(runningForm(guest), process.pid(), running.info().startTime(), clock.instant()));
                    progress.step(address, "adopted: already running as pid " + process.pid() + " (found through its pidfile)");
                    return;
                }
                throw new GuestLaunchException("guest " + guest.vm() + " has an unrecorded QEMU (pid " + process.pid() + ", "
                        + seen.state().name().toLowerCase(java.util.Locale.ROOT) + "); stop it first");
            }
        }

        progress.step(address, "starting paused (-S) as uid " + guest.uid() + " in cgroup " + guest.launch().cgroupPath()
                + guest.launch().tap().map(t -> " on tap " + t).orElse(" with user-mode networking"));
        GuestLauncher.Options options = options(guest);
        // a failure is reported once, by whoever ran this start (apply prints it on the step's line)
        GuestLauncher.Launched launched = GuestLauncher.launch(guest, options);
        GuestProcess process = launched.process();
        ProcessInfo info = process.info().orElseThrow(() -> new GuestLaunchException("guest " + guest.vm() + " ended right after it started"));
        registry.record(new GuestRegistry.Entry(runningForm(guest), process.pid(), info.startTime(), clock.instant()));
        STARTED_HERE.put(key(process.pid(), info.startTime()), process);
        progress.step(address, "checked (uid " + guest.uid() + ", no capabilities, seccomp " + info.seccomp() + ", cgroups, command line"
                + options.apparmor().map(p -> ", AppArmor " + p.name()).orElse("") + "), then cont: running as pid " + process.pid()
                + " (QMP after " + launched.untilQmp().toMillis() + " ms, running after " + launched.untilRunning().toMillis() + " ms)");
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
        return options;
    }

    private static Guest runningForm(Guest guest) {
        return guest.withState(GuestState.RUNNING).withRuntime(GuestRuntime.NONE);
    }

    // ------------------------------------------------------------------------------------------------ stop

    @Override
    public void stop(Guest guest, Progress progress) {
        String address = guest.address();
        Optional<GuestRegistry.Entry> entry = registry.find(guest.vm());
        GuestProcess process = null;
        Duration stopTimeout = guest.launch().stopTimeout();
        if (entry.isPresent()) {
            Inspection inspection = inspect(entry.get());
            process = inspection.process().orElse(null);
            if (process == null) {
                progress.step(address, "not running (" + inspection.guest().runtime().exitCause().orElse("ended") + ")");
            }
        } else if (GuestPidFiles.find(guest) instanceof GuestPidFiles.Finding.Running running) {
            process = running.process();
        } else {
            progress.step(address, "not running");
        }
        if (process != null) {
            try {
                progress.step(address, "stopping pid " + process.pid() + ": power button, up to " + stopTimeout.toSeconds() + " s, then quit, then SIGKILL");
                process.stop(stopTimeout, step -> progress.step(address, step.toString()));
            } finally {
                process.close();
            }
        }
        entry.ifPresent(this::forget);
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
