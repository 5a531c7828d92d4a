package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.app.Main;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.qemu.QmpClient;
import io.qfence.testing.ChildJvm;
import io.qfence.testing.RequiresHost;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL trials of the guest phase of {@code qfence apply} (issue 22), on the real host with five probe guests in two
 * groups (bridged and user-mode). Each trial runs {@code apply --progress json} as a process of its own and kills it
 * at one progress event of the guest phase (or a random offset after it); then, from outside qfence: every QEMU
 * process alive (from {@code /proc} and the cgroup file system) has its tap and its uid's rules in {@code nft}; one
 * apply converges (exit 0, and the plan after it is empty); exactly one QEMU runs per VM, in its cgroup, none left at
 * {@code prelaunch} (asked over QMP), none that ran the desired configuration at the kill was restarted, and every
 * record names the running process. Stop trials kill an apply that removes two VMs while it stops them (power
 * button sent, waiting, {@code quit} sent).
 *
 * <p>In the normal suite a few kill points are tried (bounded to a few minutes); with
 * {@code -Dqfence.killTrials=full} (bench/kill-trials.sh) every event of the phase is, each also at a random offset.
 * Counts go to standard output and {@code target/kill-trials.txt}.
 */
@RequiresHost(tools = {"ip", "nft", "qemu-system-x86_64", "setpriv"})
class GuestKillTrialsTest {

    /** From the test classpath, not src/: the lab has the compiled test tree but no sources. */
    static final Path DESIRED = LabHost.testResource("kill-trials");
    static final Map<String, String> VMS = new TreeMap<>(Map.of("k-1", "k1", "k-2", "k1", "k-u", "k1", "m-1", "k2", "m-u", "k2"));
    static final boolean FULL = "full".equals(System.getProperty("qfence.killTrials"));
    private static final ObjectMapper JSON = new ObjectMapper();

    LiveSandbox sandbox;
    Path desired;
    final List<String> report = new ArrayList<>();

    @BeforeEach
    void createSandbox() throws IOException {
        sandbox = LiveSandbox.create();
        desired = sandbox.forGuests(DESIRED);
        LiveSandbox.privateUidRange(desired); // other runs on this machine start guests at the same time
    }

    @AfterEach
    void removeSandbox() throws Exception {
        try {
            GuestKills.killAll(sandbox);
        } finally {
            sandbox.close();
            ApplyGuestsTest.assertNothingLeftOf(sandbox);
            Path out = reportFile();
            Files.createDirectories(out.getParent());
            Files.write(out, report, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
    }

    /** A kill point: the {@code index}-th event of the guest phase, then {@code offsetMs} more. */
    record Point(int index, int offsetMs) {}

    /** A named kill point among the events {@code counts} accepts. */
    record Kill(String name, Predicate<JsonNode> counts, Point point) {}

    /** Where the counts go besides standard output. */
    Path reportFile() {
        return Path.of("target", "kill-trials.txt");
    }

    /**
     * The kill points of the start phase: with {@code -Dqfence.killTrials=full} every event, each also at a random
     * offset; otherwise one kill at each kind of progress event of a start, plus one at a random event and offset.
     */
    List<Kill> startKills(Random random) {
        List<Kill> kills = new ArrayList<>();
        if (FULL) {
            for (int i = 0; i < 200; i++) {
                kills.add(new Kill("event " + i, e -> true, new Point(i, 0)));
                kills.add(new Kill("event " + i + " + random offset", e -> true, new Point(i, random.nextInt(400))));
            }
        } else {
            kills.add(new Kill("first 'starting paused' (spawn)", e -> message(e).startsWith("starting paused"), new Point(0, 0)));
            kills.add(new Kill("first 'recorded; cont' (between record and cont)", e -> message(e).endsWith("; cont"), new Point(0, 0)));
            kills.add(new Kill("first 'running as pid' (after cont)", e -> message(e).startsWith("running as pid"), new Point(0, 0)));
            kills.add(new Kill("first guest step done", e -> e.path("event").asText().equals("done"), new Point(0, 0)));
            kills.add(new Kill("random event and offset", e -> true, new Point(4 + random.nextInt(16), random.nextInt(400))));
        }
        return kills;
    }

    @Test
    void everyKillDuringTheStartPhaseConvergesWithOneApply() throws Exception {
        CliRun network = cli("apply", "--auto-approve", "--no-guests");
        assertThat(network.exitCode()).as(network.out() + network.err()).isZero();
        List<Kill> kills = startKills(new Random());
        int trials = 0;
        int converged = 0;
        for (Kill k : kills) {
            Trial t = killApply(k.counts(), k.point());
            if (!t.killed()) {
                report.add("start phase: " + k.name() + " not reached (the apply completed after " + t.events() + " counted events)");
                if (FULL && k.point().offsetMs() == 0) {
                    break;
                }
                continue;
            }
            trials++;
            Map<String, Long> runningAtKill = checkAtKill("start trial " + trials, t);
            convergeAndCheck(runningAtKill);
            converged++;
            report.add("start trial " + trials + ": killed at " + k.name() + " = " + t.at() + " +" + k.point().offsetMs() + " ms; QEMU at kill: "
                    + t.qemuAtKill() + ", running and kept: " + runningAtKill.keySet() + "; converged with one apply");
            resetGuests();
        }
        report.add("start phase: " + trials + " kills, " + converged + " converged with one apply");
        report.forEach(System.out::println);
        assertThat(converged).isEqualTo(trials).isPositive();
    }

    @Test
    void everyKillWhileStoppingGuestsConvergesWithOneApply() throws Exception {
        // k-1 and k-2 are removed: k-1 handles the power button once booted, k-2 ignores it (quit after 3 s)
        List<Predicate<JsonNode>> kills = List.of(
                e -> message(e).contains("powerdown sent"),
                e -> message(e).startsWith("stopping pid"),
                e -> message(e).contains("quit sent"));
        List<String> names = List.of("power button sent", "stopping (waiting)", "quit sent");
        int trials = 0;
        int converged = 0;
        for (int i = 0; i < kills.size(); i++) {
            restoreDesired();
            CliRun up = cli("apply", "--auto-approve");
            assertThat(up.exitCode()).as(up.out() + up.err()).isZero();
            removeVms();
            Trial t = killApply(kills.get(i), new Point(0, 0));
            if (!t.killed()) {
                report.add("stop trial at '" + names.get(i) + "': not reached");
                continue;
            }
            trials++;
            checkAtKill("stop trial " + trials, t);
            CliRun apply = cli("apply", "--auto-approve");
            assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
            CliRun plan = cli("plan");
            assertThat(plan.exitCode()).as(plan.out() + plan.err()).isZero();
            Map<String, Long> left = qemuByVm();
            assertThat(left.keySet()).as("the removed VMs' guests are gone").doesNotContain("k-1", "k-2");
            assertThat(GuestKills.recordedPids(sandbox).keySet()).isEqualTo(left.keySet());
            assertThat(Files.exists(sandbox.stateDir().resolve("guests/k-1.json"))).as("no record of a stopped guest").isFalse();
            converged++;
            report.add("stop trial " + trials + ": killed at '" + names.get(i) + "' (" + t.at() + "); converged with one apply");
        }
        report.add("stop phase: " + trials + " kills, " + converged + " converged with one apply");
        report.forEach(System.out::println);
        assertThat(converged).isEqualTo(trials).isPositive();
    }

    // ------------------------------------------------------------------------------------------------ a trial

    record Trial(boolean killed, int events, String at, int qemuAtKill) {}

    private static String message(JsonNode e) {
        return e.path("message").asText("");
    }

    /**
     * Runs {@code apply --progress json} as a process of its own; counts the events of the guest phase (from the first
     * guest step on) that {@code counts} accepts, and kills it (SIGKILL) {@code p.offsetMs()} after the
     * {@code p.index()}-th of them.
     */
    private Trial killApply(Predicate<JsonNode> counts, Point p) throws Exception {
        List<String> command = new ArrayList<>(ChildJvm.command(Main.class.getName(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        command.addAll(List.of("apply", "--auto-approve", "--progress", "json"));
        command.addAll(hostArgs());
        Process apply = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int seen = 0;
        boolean inGuests = false;
        String at = "";
        boolean killed = false;
        try (BufferedReader events = new BufferedReader(new InputStreamReader(apply.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = events.readLine()) != null) {
                JsonNode e = JSON.readTree(line);
                inGuests |= e.path("address").asText("").contains("/vm.") && !e.path("address").asText("").endsWith("/tap")
                        && !e.path("address").asText("").endsWith("/cgroup");
                if (!inGuests || !counts.test(e)) {
                    continue;
                }
                if (seen++ == p.index()) {
                    if (p.offsetMs() > 0) {
                        Thread.sleep(p.offsetMs());
                    }
                    at = e.path("event").asText() + " " + e.path("address").asText() + (message(e).isEmpty() ? "" : ": "
                            + message(e).substring(0, Math.min(48, message(e).length())));
                    apply.destroyForcibly(); // SIGKILL
                    killed = true;
                    break;
                }
            }
        } finally {
            if (!apply.waitFor(120, TimeUnit.SECONDS)) {
                apply.destroyForcibly();
                apply.waitFor(30, TimeUnit.SECONDS);
            }
        }
        if (killed) {
            assertThat(apply.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
        }
        // a launch chain spawned just before the kill execs QEMU on its own: give it a moment to get there
        Thread.sleep(500);
        return new Trial(killed, seen, at, killed ? qemuByVm().size() : 0);
    }

    /**
     * At the moment of the kill, from outside qfence: every QEMU in the sandbox's cgroups has its tap (bridged) and
     * its uid's rules in nft. Returns the guests that were running (QMP {@code running}) then, by VM.
     */
    private Map<String, Long> checkAtKill(String trial, Trial t) throws Exception {
        String links = sandbox.witness("ip", "-o", "link", "show");
        String inet = sandbox.witness("nft", "list", "table", "inet", "qfence");
        Map<String, Long> running = new TreeMap<>();
        for (Map.Entry<String, Long> q : qemuByVm().entrySet()) {
            long pid = q.getValue();
            ProcessInfo info = ProcessInfo.read(pid).orElseThrow();
            long uid = info.uids().get(0);
            Optional<String> tap = tapOf(pid);
            tap.ifPresent(name -> assertThat(links).as(trial + ": the tap of " + q.getKey()).contains(": " + name + ":"));
            assertThat(inet).as(trial + ": nft rules for the uid of " + q.getKey()).contains(Long.toString(uid));
            if (status(q.getKey()).equals("running")) {
                running.put(q.getKey(), pid);
            }
        }
        return running;
    }

    private void convergeAndCheck(Map<String, Long> runningAtKill) throws Exception {
        CliRun plan = cli("plan");
        assertThat(plan.out()).as("never drift outside qfence for qfence's own QEMU")
                .doesNotContain("paused outside qfence", "started outside qfence", "created outside qfence");
        CliRun apply = cli("apply", "--auto-approve");
        assertThat(apply.exitCode()).as(plan.out() + "\n" + apply.out() + apply.err()).isZero();
        CliRun again = cli("plan");
        assertThat(again.exitCode()).as(again.out() + again.err()).isZero();
        Map<String, Long> now = qemuByVm();
        assertThat(now.keySet()).as("one QEMU per VM").containsExactlyElementsOf(VMS.keySet());
        assertThat(GuestKills.cgroupPids(sandbox)).as("nothing else in the cgroups: exactly one QEMU per VM").hasSize(VMS.size());
        for (Map.Entry<String, Long> r : runningAtKill.entrySet()) {
            assertThat(now.get(r.getKey())).as(r.getKey() + " ran the desired configuration at the kill: not restarted").isEqualTo(r.getValue());
        }
        for (String vm : VMS.keySet()) {
            assertThat(status(vm)).as(vm + " is not left at prelaunch").isEqualTo("running");
        }
        assertThat(GuestKills.recordedPids(sandbox)).as("every record names the running process").isEqualTo(now);
    }

    /** The QEMU processes in the sandbox's VM cgroups, by VM (from the cgroup file system and /proc). */
    private Map<String, Long> qemuByVm() throws IOException {
        Map<String, Long> out = new TreeMap<>();
        for (long pid : GuestKills.cgroupPids(sandbox)) {
            Optional<ProcessInfo> info = ProcessInfo.read(pid).filter(i -> !i.hasEnded());
            if (info.isEmpty() || info.get().cmdline().isEmpty() || !info.get().cmdline().get(0).contains("qemu-system")) {
                continue;
            }
            List<String> argv = info.get().cmdline();
            String vm = argv.get(argv.indexOf("-name") + 1).split(",")[0].replace("guest=", "");
            Long previous = out.put(vm, pid);
            assertThat(previous).as("a second QEMU of " + vm).isNull();
        }
        return out;
    }

    private String status(String vm) {
        try (QmpClient qmp = QmpClient.connect(sandbox.dir.resolve("run").resolve(vm).resolve("qmp.sock"), Duration.ofSeconds(10))) {
            return qmp.queryStatus(Duration.ofSeconds(10)).status();
        } catch (RuntimeException e) {
            return "unreachable: " + e.getMessage();
        }
    }

    private static Optional<String> tapOf(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "fdinfo", "3")).stream().filter(l -> l.startsWith("iff:"))
                    .map(l -> l.substring(4).strip()).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Back to no guest at all, as before the first start: guests killed by pid, their records removed. */
    private void resetGuests() throws IOException {
        GuestKills.killAll(sandbox);
        Path records = sandbox.stateDir().resolve("guests");
        if (Files.isDirectory(records)) {
            try (Stream<Path> files = Files.list(records)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    private void restoreDesired() throws IOException {
        for (String g : List.of("groups/k1.yaml", "groups/k2.yaml")) {
            Files.copy(DESIRED.resolve(g), desired.resolve(g), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes k-1 and k-2 from the desired state. */
    private void removeVms() throws IOException {
        Path k1 = desired.resolve("groups/k1.yaml");
        String s = Files.readString(k1);
        Files.writeString(k1, s.substring(0, s.indexOf("    - name: k-1\n")) + s.substring(s.indexOf("    - name: k-u\n")));
    }

    List<String> hostArgs() {
        return List.of("--netns", sandbox.name, "--state-dir", sandbox.stateDir().toString(), "--run-dir", sandbox.dir.resolve("run").toString(),
                "--images-root", sandbox.dir.resolve("images").toString(), "--cgroup-parent", sandbox.cgroupParent, "--dir", desired.toString());
    }

    CliRun cli(String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(hostArgs());
        return CliRun.onHost(Main.liveHost(), "", args.toArray(String[]::new));
    }
}
