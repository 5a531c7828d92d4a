package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.qfence.app.Main;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.model.ByteSize;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Limits;
import io.qfence.model.desired.Vm;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Action;
import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import io.qfence.plan.Planner;
import io.qfence.plan.SnapshotCodec;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Signal;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import io.qfence.verify.SandboxApply;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.LoadResult;
import io.qfence.testing.ChildJvm;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The guest lifecycle of issue 5 with real QEMU (TCG) in a sandbox: start, adoption by a later qfence, graceful stop,
 * powerdown falling back to quit, restart on a config change, live limit updates, a guest killed by hand, and an
 * orphan. Each test starts the guests it needs from one realized desired state ({@code src/test/resources/guests})
 * and stops them again; the sandbox (namespaces, cgroups, directories) is shared by the class.
 *
 * <p>Changes are planned by the real planner; they are carried out here through the guest port and cgroupfs, as the
 * apply executor does.
 */
@RequiresHost(tools = {"ip", "ss", "qemu-system-x86_64", "setpriv"})
class GuestLifecycleTest {

    static final LocalDate TODAY = LocalDate.of(2026, 3, 1);

    static Sandbox sandbox;
    static DesiredState desired;
    static Realization realized;
    static QemuGuests guests;
    static CgroupFs cgroups;

    final List<String> steps = Collections.synchronizedList(new ArrayList<>());
    final Progress progress = (address, message) -> steps.add(address + ": " + message);

    @BeforeAll
    static void createSandbox() throws Exception {
        sandbox = Main.sandboxes(Main.liveHost()).create("qfence-test-guests", ProbeHost.probeImages(), Progress.SILENT);
        LoadResult loaded = DesiredStateLoader.loadDirectory(Path.of("src/test/resources/guests"), Clock.systemUTC());
        assertThat(loaded.ok()).as(loaded.diagnostics().toString()).isTrue();
        desired = sandbox.overrides().applyTo(loaded.state().orElseThrow());
        realized = realize(desired);
        Path disk = Path.of(sandbox.overrides().imagesRoot().orElseThrow(), "disks", "d-1.raw");
        Files.createDirectories(disk.getParent());
        Files.write(disk, new byte[1 << 20]);
        // everything but the guests, which each test starts itself: put in place as verify does, by the Applier
        Realization withoutGuests = new Realization(realized.host(), realized.revision(), realized.facts(),
                realized.objects().stream().filter(o -> !(o instanceof Guest)).toList(), realized.policy(), realized.warnings());
        SandboxApply.throughApplier(Main.liveHost(), 2).apply(sandbox, sandbox.guests(), withoutGuests, Progress.SILENT);
        cgroups = new CgroupFs(CgroupLayout.detect());
        guests = newQfence();
    }

    @AfterAll
    static void removeSandbox() {
        if (sandbox != null) {
            sandbox.close();
            assertThat(sandbox.teardownReport()).noneMatch(line -> line.startsWith("LEFT"));
        }
    }

    /** Between tests there is no need to wait for the power button: quit at once. */
    @AfterEach
    void stopEverything() {
        for (Guest g : guests.observe(realized.objects(Guest.class))) {
            io.qfence.model.host.GuestLaunch l = g.launch();
            guests.stop(new Guest(g.address(), g.vm(), g.group(), g.uid(), g.gid(), g.argv(), g.configDigest(), g.config(), g.state(),
                    new io.qfence.model.host.GuestLaunch(l.runDir(), l.qmpSocket(), l.serialSocket(), l.serialLog(), l.pidFile(), l.images(),
                            l.cgroupPath(), l.tap(), Duration.ZERO), g.runtime()), Progress.SILENT);
        }
    }

    /** A fresh guest port on the same host, as a restarted qfence makes it. */
    static QemuGuests newQfence() {
        Path state = Path.of(sandbox.overrides().stateDir().orElseThrow());
        Path images = Path.of(sandbox.overrides().imagesRoot().orElseThrow());
        return new QemuGuests(QemuGuests.Settings.of(images, state, new CgroupFs(CgroupLayout.detect()))
                .inNamespace(io.qfence.platform.os.NetNamespace.open(sandbox.hostNamespace())));
    }

    static Realization realize(DesiredState state) {
        return Realizer.realize(state, "t1", sandbox.facts(), TODAY);
    }

    static Guest guest(Realization r, String vm) {
        return r.objects(Guest.class).stream().filter(g -> g.vm().equals(vm)).findFirst().orElseThrow();
    }

    static Optional<Guest> observed(String vm) {
        return guests.observe(realized.objects(Guest.class)).stream().filter(g -> g.vm().equals(vm)).findFirst();
    }

    /** Starts guests in parallel, at most two at a time, as apply does. */
    void start(String... vms) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> started = new ArrayList<>();
            for (String vm : vms) {
                started.add(pool.submit(() -> guests.start(guest(realized, vm), progress)));
            }
            for (Future<?> f : started) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The plan from the current host to {@code target}: the host's other objects are as realized, its guests observed. */
    static Plan planTo(Realization target, List<Guest> observedGuests) {
        List<HostObject> host = new ArrayList<>(realized.objects().stream().filter(o -> !(o instanceof Guest)).toList());
        host.addAll(observedGuests);
        return Planner.plan(target.objects(), new ObservedHost("t1", sandbox.facts(), host, List.of(), List.of(), List.of()));
    }

    /** Carries out a plan's guest and cgroup changes, in order, like the apply executor. */
    void apply(Plan plan) {
        for (Change c : plan.changes()) {
            if (c.after().orElse(c.before().orElse(null)) instanceof Cgroup cg && c.action() == Action.UPDATE) {
                cgroups.apply(cg);
            } else if (c.kind() == io.qfence.plan.ObjectKind.GUEST) {
                switch (c.action()) {
                    case START -> guests.start((Guest) c.after().orElseThrow(), progress);
                    case STOP -> guests.stop((Guest) c.before().orElseThrow(), progress);
                    case REPLACE_DELETE_BEFORE_CREATE -> {
                        guests.stop((Guest) c.before().orElseThrow(), progress);
                        guests.start((Guest) c.after().orElseThrow(), progress);
                    }
                    default -> throw new AssertionError("unexpected guest change " + c);
                }
            } else {
                throw new AssertionError("unexpected change " + c.address() + " " + c.action());
            }
        }
    }

    static List<Change> changesOf(Plan plan, String address) {
        return plan.changes().stream().filter(c -> c.address().equals(address)).toList();
    }

    static DesiredState withVm(DesiredState state, String name, UnaryOperator<Vm> change) {
        List<Group> groups = state.groups().stream().map(g -> new Group(g.name(), g.vlan(), g.subnet(), g.subnet6(), g.egress(), g.intraGroup(),
                g.limits(), g.bastion(), g.allow(), g.vms().stream().map(v -> v.name().equals(name) ? change.apply(v) : v)
                        .filter(java.util.Objects::nonNull).toList(), g.origin())).toList();
        return new DesiredState(state.revision(), state.hosts(), groups);
    }

    static Vm withMemory(Vm v, ByteSize memory) {
        return new Vm(v.name(), v.cpus(), memory, v.boot(), v.mac(), v.ip(), v.network(), v.state(), v.limits(), v.stopTimeout(), v.origin());
    }

    static Vm withLimits(Vm v, Limits limits) {
        return new Vm(v.name(), v.cpus(), v.memory(), v.boot(), v.mac(), v.ip(), v.network(), v.state(), limits, v.stopTimeout(), v.origin());
    }

    static void awaitConsole(Guest g) {
        try (SerialConsole console = SerialConsole.connect(Path.of(g.launch().serialSocket()))) {
            console.awaitShell(Duration.ofSeconds(180), Duration.ofSeconds(1));
        }
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void startedGuestsRunAsTheirOwnUidUnderSeccompInTheirCgroupsWithoutATcpMonitor() throws Exception {
        start("a-1", "a-2", "u-1");

        String listening = Witness.inNetns(sandbox.name(), "ss", "-Hltnp");
        for (String vm : List.of("a-1", "a-2", "u-1")) {
            Guest want = guest(realized, vm);
            Guest seen = observed(vm).orElseThrow();
            assertThat(seen.state()).isEqualTo(GuestState.RUNNING);
            assertThat(seen.configDigest()).isEqualTo(want.configDigest());
            long pid = seen.runtime().pid().orElseThrow();
            ProcessInfo info = ProcessInfo.read(pid).orElseThrow();
            assertThat(info.uids()).containsOnly(want.uid());
            assertThat(info.gids()).containsOnly(want.gid());
            assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))).contains("Seccomp:\t2");
            assertThat(QemuArgvPolicy.violations(info.cmdline(), want.launch())).isEmpty();
            assertThat(info.cmdline()).noneMatch(a -> a.contains("tcp:") || a.contains("telnet:") || a.equals("-monitor"));
            assertThat(listening).as("nothing listens on TCP in the host namespace, QEMU least of all").doesNotContain("pid=" + pid + ",");
            for (Path dir : cgroups.directories(want.launch().cgroupPath())) {
                assertThat(Files.readAllLines(dir.resolve("cgroup.procs"))).as(dir.toString()).contains(Long.toString(pid));
            }
        }
        Path record = guests.registry().directory().resolve("a-1.json");
        assertThat(Files.getOwner(record).getName()).isEqualTo("root");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(record))).isEqualTo("rw-------");
        assertThat(steps).anyMatch(s -> s.startsWith("group.g1/vm.a-1: checked (uid " + guest(realized, "a-1").uid()));
    }

    /** Apply checks each guest after its start and stop with find, while other guests may be booting. */
    @Test
    void findShowsOneGuestAsObserveDoesWithoutReadingAnyOtherGuestsRecord() throws Exception {
        start("a-1");
        Guest seen = guests.find(guest(realized, "a-1")).orElseThrow();
        // the confinement is read from /proc at each look (descriptors come and go; find names no other guest that
        // shares a namespace, since it reads no other): compared without it, and present in both
        Guest all = observed("a-1").orElseThrow();
        assertThat(seen.runtime().confinement()).isPresent();
        assertThat(all.runtime().confinement()).isPresent();
        assertThat(seen.withRuntime(seen.runtime().withConfinement(java.util.Optional.empty())))
                .isEqualTo(all.withRuntime(all.runtime().withConfinement(java.util.Optional.empty())));
        assertThat(seen.state()).isEqualTo(GuestState.RUNNING);
        assertThat(seen.runtime().qmpStatus()).hasValue("running");
        assertThat(guests.find(guest(realized, "u-1"))).as("never started").isEmpty();

        Path unreadable = guests.registry().directory().resolve("a-2.json");
        Files.writeString(unreadable, "{ not a record");
        try {
            assertThat(guests.find(guest(realized, "a-1")).map(g -> g.withRuntime(g.runtime().withConfinement(java.util.Optional.empty()))))
                    .hasValue(seen.withRuntime(seen.runtime().withConfinement(java.util.Optional.empty())));
            assertThat(catchThrowable(() -> guests.observe(realized.objects(Guest.class))))
                    .as("observe reads every record, and refuses to guess past an unreadable one").hasMessageContaining("a-2.json");
        } finally {
            Files.delete(unreadable);
        }
    }

    @Test
    void aQfenceStartedLaterAdoptsTheRunningGuestsAndARePlanRestartsNothing() throws Exception {
        Path realizedFile = Files.createTempFile("qfence-test-guests", ".json");
        try {
            Files.writeString(realizedFile, SnapshotCodec.objectsToJson(List.of(guest(realized, "a-2"))));
            List<String> command = new ArrayList<>(ChildJvm.command(StartGuestsInSeparateJvm.class.getName()));
            command.addAll(List.of(sandbox.hostNamespace().toString(), sandbox.overrides().imagesRoot().orElseThrow(),
                    sandbox.overrides().stateDir().orElseThrow(), realizedFile.toString()));
            Process first = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(first.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).as(output).isZero();
            long pid = Long.parseLong(output.lines().filter(l -> l.startsWith("PID ")).findFirst().orElseThrow().substring(4));

            QemuGuests later = newQfence();
            Guest found = later.observe(realized.objects(Guest.class)).stream().filter(g -> g.vm().equals("a-2")).findFirst().orElseThrow();
            assertThat(found.state()).isEqualTo(GuestState.RUNNING);
            assertThat(found.runtime().pid()).hasValue(pid);
            assertThat(found.runtime().qmpStatus()).contains("running");
            assertThat(ProcessInfo.read(pid).orElseThrow().ppid()).as("re-parented: the qfence that started it has exited")
                    .isNotEqualTo(first.pid());
            assertThat(found.config()).as("the configuration as started, from the root-owned record").isEqualTo(guest(realized, "a-2").config());

            Plan replan = planTo(realized, later.observe(realized.objects(Guest.class)));
            assertThat(changesOf(replan, "group.g1/vm.a-2")).as("a re-plan restarts nothing").isEmpty();
            later.start(guest(realized, "a-2"), progress);
            assertThat(observed("a-2").orElseThrow().runtime().pid()).as("starting a running guest is a no-op").hasValue(pid);
        } finally {
            Files.deleteIfExists(realizedFile);
        }
    }

    @Test
    void aGuestThatHandlesThePowerButtonStopsGracefully() throws Exception {
        start("a-1");
        Guest g = observed("a-1").orElseThrow();
        awaitConsole(g);

        guests.stop(g, progress);

        assertThat(steps).anyMatch(s -> s.startsWith("group.g1/vm.a-1: powerdown sent"));
        assertThat(steps).anyMatch(s -> s.startsWith("group.g1/vm.a-1: powerdown exited"));
        assertThat(steps).noneMatch(s -> s.contains("quit") && s.contains("sent"));
        assertThat(observed("a-1")).as("stopped guests are not observed").isEmpty();
        assertThat(guests.registry().find("a-1")).as("the record goes once the stop is confirmed").isEmpty();
    }

    @Test
    void aGuestThatIgnoresThePowerButtonIsQuitAfterItsStopTimeout() throws Exception {
        start("b-1");
        Guest g = observed("b-1").orElseThrow();
        awaitConsole(g);

        guests.stop(g, progress);

        List<String> mine = steps.stream().filter(s -> s.startsWith("group.g2/vm.b-1: ")).map(s -> s.substring("group.g2/vm.b-1: ".length()))
                .map(s -> s.replaceAll(" after \\d+ ms.*", "")).toList();
        assertThat(mine).containsSubsequence("powerdown sent", "powerdown timed_out", "quit sent", "quit exited");
        assertThat(mine).noneMatch(s -> s.startsWith("sigkill"));
        assertThat(observed("b-1")).isEmpty();
    }

    @Test
    void aConfigChangeIsARestartThatNamesTheFieldsAndThenTheNewConfigurationRuns() throws Exception {
        start("a-2");
        long before = observed("a-2").orElseThrow().runtime().pid().orElseThrow();
        Realization bigger = realize(withVm(desired, "a-2", v -> withMemory(v, ByteSize.ofMebibytes(128))));

        Plan plan = planTo(bigger, guests.observe(realized.objects(Guest.class)));

        List<Change> restart = changesOf(plan, "group.g1/vm.a-2");
        assertThat(restart).hasSize(1);
        assertThat(restart.get(0).action()).isEqualTo(Action.REPLACE_DELETE_BEFORE_CREATE);
        assertThat(restart.get(0).reason().text()).contains("memory 96Mi -> 128Mi");
        apply(plan);
        Guest now = guests.observe(bigger.objects(Guest.class)).stream().filter(g -> g.vm().equals("a-2")).findFirst().orElseThrow();
        assertThat(now.state()).isEqualTo(GuestState.RUNNING);
        assertThat(now.configDigest()).isEqualTo(guest(bigger, "a-2").configDigest()).isNotEqualTo(guest(realized, "a-2").configDigest());
        assertThat(now.runtime().pid().orElseThrow()).isNotEqualTo(before);
        assertThat(ProcessInfo.read(now.runtime().pid().orElseThrow()).orElseThrow().cmdline()).contains("128M");
        assertThat(changesOf(planTo(bigger, guests.observe(bigger.objects(Guest.class))), "group.g1/vm.a-2")).isEmpty();
    }

    @Test
    void aLimitChangeIsAppliedLiveToTheCgroupAndRestartsNothing() throws Exception {
        start("a-1");
        long pid = observed("a-1").orElseThrow().runtime().pid().orElseThrow();
        Realization roomier = realize(withVm(desired, "a-1",
                v -> withLimits(v, new Limits(Optional.empty(), Optional.of(ByteSize.ofMebibytes(384)), java.util.OptionalLong.of(64),
                        java.util.OptionalInt.empty()))));
        assertThat(guest(roomier, "a-1").configDigest()).isEqualTo(guest(realized, "a-1").configDigest());

        Plan plan = planTo(roomier, guests.observe(realized.objects(Guest.class)));

        assertThat(changesOf(plan, "group.g1/vm.a-1")).isEmpty();
        assertThat(changesOf(plan, "group.g1/vm.a-1/cgroup")).singleElement().extracting(Change::action).isEqualTo(Action.UPDATE);
        apply(plan);
        assertThat(observed("a-1").orElseThrow().runtime().pid()).hasValue(pid);
        String path = guest(realized, "a-1").launch().cgroupPath();
        Cgroup now = cgroups.observe("x", path).orElseThrow();
        assertThat(now.files()).containsEntry("memory/memory.limit_in_bytes", Long.toString(384L << 20)).containsEntry("pids/pids.max", "64");
        cgroups.apply(realized.objects(Cgroup.class).stream().filter(c -> c.path().equals(path)).findFirst().orElseThrow());
    }

    @Test
    void aGuestKilledByHandIsCrashedWithItsCauseShowsAsDriftAndTheNextApplyRestartsIt() throws Exception {
        start("u-1");
        long pid = observed("u-1").orElseThrow().runtime().pid().orElseThrow();
        try (PidFd fd = PidFd.open(pid)) {
            fd.signal(Signal.SIGKILL);
            assertThat(fd.awaitExit(Duration.ofSeconds(10))).isTrue();
        }

        Guest crashed = observed("u-1").orElseThrow();
        assertThat(crashed.state()).isEqualTo(GuestState.CRASHED);
        assertThat(crashed.runtime().exitCause()).hasValueSatisfying(c -> assertThat(c).contains("killed by SIGKILL"));
        Plan plan = planTo(realized, guests.observe(realized.objects(Guest.class)));
        Change restart = changesOf(plan, "group.g1/vm.u-1").get(0);
        assertThat(restart.action()).isEqualTo(Action.START);
        assertThat(restart.drift()).isTrue();
        assertThat(restart.reason().text()).contains("guest crashed").contains("killed by SIGKILL");

        apply(plan);
        Guest again = observed("u-1").orElseThrow();
        assertThat(again.state()).isEqualTo(GuestState.RUNNING);
        assertThat(again.runtime().pid().orElseThrow()).isNotEqualTo(pid);
    }

    @Test
    void anOrphanIsStoppedAndItsDiskKept() throws Exception {
        start("d-1");
        long pid = observed("d-1").orElseThrow().runtime().pid().orElseThrow();
        Path disk = Path.of(guest(realized, "d-1").launch().images().get(0));
        Realization without = realize(withVm(desired, "d-1", v -> null));

        List<Guest> seen = guests.observe(without.objects(Guest.class));
        assertThat(seen).extracting(Guest::vm).contains("d-1");
        Plan plan = planTo(without, seen);
        List<Change> stop = changesOf(plan, "group.g2/vm.d-1");
        assertThat(stop).singleElement().extracting(Change::action).isEqualTo(Action.STOP);

        guests.stop((Guest) stop.get(0).before().orElseThrow(), progress);
        assertThat(ProcessInfo.read(pid).filter(i -> !i.hasEnded())).isEmpty();
        assertThat(guests.observe(without.objects(Guest.class))).extracting(Guest::vm).doesNotContain("d-1");
        assertThat(disk).exists().hasSize(1 << 20);
        assertThat(steps).anyMatch(s -> s.startsWith("group.g2/vm.d-1: quit exited"));
    }
}
