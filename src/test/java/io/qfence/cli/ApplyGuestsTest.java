package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Signal;
import io.qfence.platform.qemu.SerialConsole;
import io.qfence.testing.ChildJvm;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code qfence apply} with guests, through the real CLI and the live host's guest port ({@code QemuGuests}), in a
 * private network namespace and cgroup subtree, with probe guests (real QEMU, TCG). One story per test method, since
 * every guest boot costs seconds: apply starts the guests behind their isolation and a re-plan is empty; a later
 * qfence (another JVM) adopts them and restarts nothing; a guest killed by hand is drift that the next apply restarts;
 * a limit change is applied live; a config change is a restart that names the fields; a removed VM is stopped (power
 * button, or quit after its stop timeout).
 */
@RequiresHost(tools = {"ip", "ss", "nft", "qemu-system-x86_64", "setpriv"})
class ApplyGuestsTest {

    static final Path DESIRED = Path.of("src/test/resources/apply-guests");
    static final List<String> VMS = List.of("p-1", "p-2", "u-1");
    private static final ObjectMapper JSON = new ObjectMapper();

    LiveSandbox sandbox;
    Path desired;

    @BeforeEach
    void createSandbox() throws IOException {
        sandbox = LiveSandbox.create();
        desired = sandbox.forGuests(DESIRED);
    }

    @AfterEach
    void removeSandbox() throws Exception {
        try {
            killGuests();
        } finally {
            sandbox.close();
            assertNothingLeftOf(sandbox);
        }
    }

    // ------------------------------------------------------------------------------------------------ the stories

    @Test
    void applyStartsEveryGuestConfinedAndAQfenceStartedLaterAdoptsThemWithoutRestartingAny() throws Exception {
        // The first apply runs in a JVM of its own that exits afterwards, as a qfence that is upgraded or restarted.
        Process first = new ProcessBuilder(javaMain("apply", "--auto-approve")).redirectErrorStream(true).start();
        String output = new String(first.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(first.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).as(output).isZero();
        assertThat(output).contains("> group.p1/vm.p-1", "running as pid");

        Map<String, Long> pids = pids();
        assertThat(pids.keySet()).containsExactlyInAnyOrderElementsOf(VMS);
        String listening = sandbox.witness("ss", "-Hltnp");
        for (String vm : VMS) {
            long pid = pids.get(vm);
            ProcessInfo info = ProcessInfo.read(pid).orElseThrow();
            assertThat(info.hasEnded()).isFalse();
            assertThat(info.ppid()).as("re-parented: the qfence that started " + vm + " has exited").isNotEqualTo(first.pid());
            assertThat(info.uids()).as(vm + " runs as its own unprivileged uid").allMatch(u -> u >= 310000 && u <= 310999);
            assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))).contains("Seccomp:\t2", "NoNewPrivs:\t1");
            assertThat(info.cmdline()).as(vm + " has no TCP monitor").noneMatch(a -> a.matches("(?s).*(tcp|telnet|udp|websocket):.*")
                    || a.equals("-monitor") || a.equals("-mon") || a.equals("-gdb") || a.matches("(?s)(.*,)?(host|port)=.*"));
            assertThat(info.cmdline()).contains("-qmp");
            assertThat(listening).as("no listening TCP socket of " + vm + " in the managed namespace").doesNotContain("pid=" + pid + ",");
            assertThat(tcpListenersOf(pid)).as("no listening TCP socket of " + vm + " in its own namespace").isEmpty();
            String cgroup = sandbox.cgroupParent + "/p1/" + vm;
            for (Path dir : new CgroupFs(CgroupLayout.detect()).directories(cgroup)) {
                assertThat(Files.readAllLines(dir.resolve("cgroup.procs"))).as(dir.toString()).contains(Long.toString(pid));
            }
        }

        CliRun replan = cli("plan");
        assertThat(replan.exitCode()).as(replan.out() + replan.err()).isZero();
        assertThat(replan.out()).contains("No changes");
        CliRun again = cli("apply", "--auto-approve");
        assertThat(again.exitCode()).as(again.out() + again.err()).isZero();
        assertThat(pids()).as("adopted, not restarted").isEqualTo(pids);

        CliRun state = cli("state", "--format", "json");
        assertThat(state.exitCode()).as(state.err()).isZero();
        assertThat(state.out()).contains("\"group.p1/vm.p-1\"", "running");
        assertThat(state.err()).as("preferred AppArmor, unavailable here: a warning in state too").contains("AppArmor");
    }

    @Test
    void aGuestKilledByHandIsCrashDriftThatTheNextApplyRestarts() throws Exception {
        applyOk();
        long pid = pids().get("u-1");
        try (PidFd fd = PidFd.open(pid)) {
            fd.signal(Signal.SIGKILL);
            assertThat(fd.awaitExit(Duration.ofSeconds(30))).isTrue();
        }

        CliRun plan = cli("plan");
        assertThat(plan.exitCode()).as(plan.out() + plan.err()).isEqualTo(2);
        assertThat(plan.out()).contains("group.p1/vm.u-1", "guest crashed", "drift");
        assertThat(plan.out()).doesNotContain("group.p1/vm.p-1\"");

        CliRun apply = applyOk();
        assertThat(apply.out()).contains("group.p1/vm.u-1");
        assertThat(pids().get("u-1")).isNotEqualTo(pid);
        assertThat(cli("plan").exitCode()).isZero();
    }

    @Test
    void aLimitChangeIsAppliedLiveAndAConfigChangeIsARestartThatNamesTheFields() throws Exception {
        applyOk();
        Map<String, Long> before = pids();

        edit("name: p-1\n      cpus: 1\n      memory: 96Mi\n",
                "name: p-1\n      cpus: 1\n      memory: 96Mi\n      limits: {memory: 360Mi, pids: 40}\n");
        CliRun limits = cli("plan");
        assertThat(limits.exitCode()).as(limits.out() + limits.err()).isEqualTo(2);
        assertThat(limits.out()).contains("~ cgroup \"group.p1/vm.p-1/cgroup\"").doesNotContain("guest \"group.p1/vm.p-1\"");
        applyOk();
        assertThat(pids()).as("no guest restarted").isEqualTo(before);
        Path memory = CgroupLayout.DEFAULT_ROOT.resolve("memory").resolve(sandbox.cgroupParent).resolve("p1/p-1/memory.limit_in_bytes");
        assertThat(LiveSandbox.read(memory)).isEqualTo(Long.toString(360L << 20));
        assertThat(LiveSandbox.read(CgroupLayout.DEFAULT_ROOT.resolve("pids").resolve(sandbox.cgroupParent).resolve("p1/p-1/pids.max")))
                .isEqualTo("40");

        edit("name: p-2\n      cpus: 1\n      memory: 96Mi\n", "name: p-2\n      cpus: 1\n      memory: 128Mi\n");
        CliRun config = cli("plan");
        assertThat(config.exitCode()).as(config.out() + config.err()).isEqualTo(2);
        assertThat(config.out()).contains("-/+ guest \"group.p1/vm.p-2\"", "memory 96Mi -> 128Mi");
        CliRun restart = applyOk();
        // p-2 ignores the power button: quit after its 2 s stop timeout.
        assertThat(restart.out()).contains("powerdown sent", "powerdown timed_out", "quit sent");
        Map<String, Long> after = pids();
        assertThat(after.get("p-2")).isNotEqualTo(before.get("p-2"));
        assertThat(ProcessInfo.read(after.get("p-2")).orElseThrow().cmdline()).anyMatch(a -> a.contains("128M"));
        assertThat(after.get("p-1")).isEqualTo(before.get("p-1"));
        assertThat(cli("plan").exitCode()).as("idempotent").isZero();
    }

    @Test
    void aVmRemovedFromTheDesiredStateIsStoppedByItsPowerButton() throws Exception {
        applyOk();
        long pid = pids().get("p-1");
        try (SerialConsole console = SerialConsole.connect(sandbox.dir.resolve("run/p-1/serial.sock"))) {
            console.awaitShell(Duration.ofSeconds(240), Duration.ofSeconds(1)); // booted: it handles the power button
        }
        String group = Files.readString(desired.resolve("groups/p1.yaml"));
        int from = group.indexOf("    - name: p-1\n");
        int to = group.indexOf("    - name: p-2\n");
        Files.writeString(desired.resolve("groups/p1.yaml"), group.substring(0, from) + group.substring(to));

        CliRun plan = cli("plan");
        assertThat(plan.exitCode()).isEqualTo(2);
        assertThat(plan.out()).contains("< guest \"group.p1/vm.p-1\"");
        CliRun apply = applyOk();
        assertThat(apply.out()).contains("powerdown sent", "powerdown exited").doesNotContain("quit sent");
        assertThat(ProcessInfo.read(pid).filter(i -> !i.hasEnded())).isEmpty();
        assertThat(pids()).doesNotContainKey("p-1");
        assertThat(sandbox.dir.resolve("images/kernels/vmlinuz")).exists();
        assertThat(cli("plan").exitCode()).isZero();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    CliRun cli(String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(hostArgs());
        return CliRun.onHost(io.qfence.app.Main.liveHost(), "", args.toArray(String[]::new));
    }

    CliRun applyOk() {
        CliRun r = cli("apply", "--auto-approve");
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        return r;
    }

    List<String> hostArgs() {
        return List.of("--netns", sandbox.name, "--state-dir", sandbox.stateDir().toString(), "--run-dir", sandbox.dir.resolve("run").toString(),
                "--images-root", sandbox.dir.resolve("images").toString(), "--cgroup-parent", sandbox.cgroupParent, "--dir", desired.toString());
    }

    List<String> javaMain(String command, String... options) {
        List<String> args = new ArrayList<>(ChildJvm.command("io.qfence.app.Main"));
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(hostArgs());
        return args;
    }

    /** The guests qfence recorded whose process still runs, by VM: {@code stateDir/guests/VM.json}. */
    Map<String, Long> pids() throws IOException {
        return GuestKills.recordedPids(sandbox);
    }

    /** Listening TCP sockets in the process's own network namespace ({@code /proc/PID/net/tcp}, state 0A). */
    static List<String> tcpListenersOf(long pid) throws IOException {
        List<String> out = new ArrayList<>();
        for (String file : List.of("tcp", "tcp6")) {
            Path p = Path.of("/proc", Long.toString(pid), "net", file);
            if (Files.exists(p)) {
                Files.readAllLines(p).stream().skip(1).filter(l -> l.trim().split("\\s+")[3].equals("0A")).forEach(out::add);
            }
        }
        return out;
    }

    void edit(String from, String to) throws IOException {
        Path f = desired.resolve("groups/p1.yaml");
        String s = Files.readString(f);
        assertThat(s).contains(from);
        Files.writeString(f, s.replace(from, to));
    }

    /** Nothing of this test's sandbox is left (other engineers' sandboxes may come and go meanwhile). */
    static void assertNothingLeftOf(LiveSandbox sandbox) throws IOException {
        assertThat(Witness.run("ip", "netns", "list")).doesNotContain(sandbox.name);
        for (Path h : CgroupLayout.detect().hierarchies().values()) {
            assertThat(h.resolve(sandbox.cgroupParent)).doesNotExist();
        }
        assertThat(sandbox.dir).doesNotExist();
        assertThat(Witness.tryRun("pgrep", "-f", sandbox.dir.toString()).stdout()).as("processes of the sandbox").isBlank();
    }

    /** Ends every process in the sandbox's cgroups (the guests this test started), by pid, and waits for them. */
    void killGuests() throws Exception {
        Path root = CgroupLayout.DEFAULT_ROOT.resolve("pids").resolve(sandbox.cgroupParent);
        if (!Files.isDirectory(root)) {
            return;
        }
        List<PidFd> killed = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path procs : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                for (String line : Files.readAllLines(procs)) {
                    if (!line.isBlank()) {
                        try {
                            PidFd fd = PidFd.open(Long.parseLong(line.trim()));
                            fd.signal(Signal.SIGKILL);
                            killed.add(fd);
                        } catch (RuntimeException gone) {
                            // ended meanwhile
                        }
                    }
                }
            }
        }
        for (PidFd fd : killed) {
            try (fd) {
                fd.awaitExit(Duration.ofSeconds(30));
            }
        }
        // PID 1 reaps re-parented guests a little late; their cgroups empty out once it has.
        Witness.tryRun("sh", "-c", "for i in $(seq 100); do [ -z \"$(cat $(find " + root + " -name cgroup.procs) 2>/dev/null)\" ] && exit 0; sleep 0.1; done; exit 1");
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
