package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.qfence.app.Main;
import io.qfence.daemon.ConvergeRequest;
import io.qfence.daemon.CycleOutcome;
import io.qfence.daemon.EngineCycle;
import io.qfence.daemon.metrics.QfenceMetrics;
import io.qfence.host.HostTarget;
import io.qfence.host.Scope;
import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.source.DesiredStateLoader;
import io.qfence.testing.RequiresHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A guest killed by its own memory limit, on the real kernel, is reported with the OOM count of its VM cgroup in every
 * place an operator looks: {@code qfence state} (JSON and YAML: the guest crashed, {@code runtime.oom_kills}, and a
 * cause that says so), {@code qfence plan} (the restart's reason) and {@code qfence_oom_kills_total} as the daemon's
 * cycle feeds it. The witness is the kernel's own file, read directly: {@code memory.events} on cgroup v2,
 * {@code memory.oom_control} on v1; the test detects the layout and reads the file that layout has. Runs here (v1) and,
 * as {@link OomReportingLabTest}, in the lab (v2).
 *
 * <p>The guest ({@code src/test/resources/oom}) has 72Mi of RAM under a VM memory limit of 80Mi: QEMU starts (paused,
 * it is charged about 30 MiB) and is recorded as running, and the booting guest outgrows the limit within a second.
 */
@RequiresHost(tools = {"ip", "nft", "qemu-system-x86_64", "setpriv"})
class OomReportingTest {

    /** From the test classpath, not src/: the lab has the compiled test tree but no sources. */
    static final Path DESIRED = LabHost.testResource("oom");
    static final String VM = "o-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    LiveSandbox sandbox;
    Path desired;

    @BeforeEach
    void createSandbox() throws IOException {
        sandbox = LiveSandbox.create();
        desired = sandbox.forGuests(DESIRED);
        LiveSandbox.privateUidRange(desired);
    }

    @AfterEach
    void removeSandbox() throws IOException {
        try {
            GuestKills.killAll(sandbox);
        } finally {
            sandbox.close();
        }
    }

    @Test
    void aGuestKilledByItsMemoryLimitIsReportedWithItsOomCountInStatePlanAndMetrics() throws Exception {
        CgroupLayout layout = CgroupLayout.detect();
        CliRun apply = cli("apply", "--auto-approve");
        // The kill may come before or after apply's own check of the started guest: either way it was recorded.
        assertThat(apply.exitCode()).as("apply:\n%s\n%s", apply.out(), apply.err()).isIn(0, 1);
        assertThat(apply.out() + apply.err()).contains("recorded as pid");
        outgrowTheLimit(layout);

        JsonNode guest = awaitCrashed();
        long oomKills = guest.path("runtime").path("oom_kills").asLong(-1);
        String vmCgroup = guest.path("launch").path("cgroup_path").asText();
        assertThat(oomKills).as("state's oom_kills:\n%s", guest.toPrettyString()).isPositive();
        assertThat(oomKills).as("the kernel's own count").isEqualTo(kernelOomKills(layout, vmCgroup));
        assertThat(guest.path("runtime").path("exit_cause").asText())
                .contains("killed by SIGKILL").contains(oomKills + " OOM kill" + (oomKills == 1 ? "" : "s") + " in its cgroup");

        CliRun yaml = cli("state", "--format", "yaml");
        assertThat(yaml.exitCode()).as(yaml.err()).isZero();
        assertThat(yaml.out()).contains("oom_kills: " + oomKills).contains(oomKills + " OOM kill");

        CliRun plan = cli("plan");
        assertThat(plan.exitCode()).as("plan:\n%s\n%s", plan.out(), plan.err()).isEqualTo(2);
        assertThat(plan.out()).contains("guest crashed: ").contains(oomKills + " OOM kill");
        System.out.println(layout.version() + " " + vmCgroup + ": oom_kill " + oomKills + "; plan: "
                + plan.out().lines().filter(l -> l.contains("guest crashed")).findFirst().orElse("?").strip());

        CycleOutcome cycle = new EngineCycle(Main.liveHost(), new HostTarget(Optional.of(sandbox.name), Optional.empty()), sandbox.overrides(),
                Scope.ALL).run(new ConvergeRequest("h1", DesiredStateLoader.loadDirectory(desired, CliRun.TODAY).state().orElseThrow(),
                ConvergeRequest.Mode.PLAN_ONLY, CliRun.TODAY.instant()));
        assertThat(cycle.errors()).isEmpty();
        QfenceMetrics metrics = QfenceMetrics.create();
        metrics.oomKillsObserved(cycle.observation().orElseThrow().oomKillsByVm());
        String exposed = exposition(metrics);
        assertThat(exposed).contains("qfence_oom_kills_total{vm=\"" + VM + "\"} " + oomKills + ".0");
        exposed.lines().filter(l -> l.startsWith("qfence_oom_kills_total")).forEach(System.out::println);
    }

    /**
     * What makes the running guest outgrow its VM memory limit. Here nothing: the booting guest does so within a
     * second. {@link OomReportingLabTest} stands in for that growth where a nested guest boots too slowly for it.
     */
    void outgrowTheLimit(CgroupLayout layout) throws Exception {}

    /** The guest's object in {@code state} (JSON), or null when state has none. */
    JsonNode guestInState() throws Exception {
        CliRun state = cli("state");
        assertThat(state.exitCode()).as(state.err()).isZero();
        JsonNode guest = null;
        for (JsonNode o : JSON.readTree(state.out()).path("objects")) {
            if (o.path("kind").asText().equals("guest") && o.path("vm").asText().equals(VM)) {
                guest = o;
            }
        }
        return guest;
    }

    /** Polls {@code state} until the guest shows as crashed (the OOM kill follows its start by about a second). */
    private JsonNode awaitCrashed() throws Exception {
        JsonNode guest = null;
        for (int i = 0; i < 120; i++) {
            guest = guestInState();
            if (guest != null && guest.path("state").asText().equals("crashed")) {
                return guest;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("guest " + VM + " not observed crashed within 60 s; last seen: " + guest);
    }

    /** The OOM-kill count the kernel keeps for the cgroup, from the file this layout has, read directly. */
    static long kernelOomKills(CgroupLayout layout, String cgroup) throws IOException {
        boolean v2 = layout.version() == CgroupVersion.V2;
        Path file = layout.hierarchies().get("memory").resolve(cgroup).resolve(v2 ? "memory.events" : "memory.oom_control");
        assertThat(file.resolveSibling(v2 ? "memory.oom_control" : "memory.events")).as("the other layout's file").doesNotExist();
        return Files.readAllLines(file).stream().filter(l -> l.startsWith("oom_kill ")).mapToLong(l -> Long.parseLong(l.substring(9).trim()))
                .findFirst().orElseThrow(() -> new AssertionError(file + " has no oom_kill line"));
    }

    private static String exposition(QfenceMetrics metrics) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    CliRun cli(String command, String... options) {
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(List.of(options));
        args.addAll(List.of("--netns", sandbox.name, "--state-dir", sandbox.stateDir().toString(), "--run-dir", sandbox.dir.resolve("run").toString(),
                "--images-root", sandbox.dir.resolve("images").toString(), "--cgroup-parent", sandbox.cgroupParent, "--dir", desired.toString()));
        return CliRun.onHost(Main.liveHost(), "", args.toArray(String[]::new));
    }
}
