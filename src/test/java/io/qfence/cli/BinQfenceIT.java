package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged program, as the README runs it: {@code bin/qfence} (the shaded {@code target/qfence.jar}, built by
 * {@code mvn verify}'s package phase before this integration test runs) applies the bundled desired state inside a
 * fresh network namespace, and a second {@code plan} exits 0. Runs under Failsafe, after packaging.
 */
@RequiresHost(tools = {"ip", "nft", "sh", "java"})
class BinQfenceIT {

    private LiveSandbox host;

    @BeforeEach
    void createHost() {
        assertThat(Path.of("target/qfence.jar")).as("mvn package builds the jar before integration tests").exists();
        host = LiveSandbox.create();
    }

    @AfterEach
    void removeHost() {
        host.close();
    }

    @AfterAll
    static void nothingIsLeft() {
        LiveSandbox.assertNothingLeft();
    }

    private Witness.Result qfence(String command, String... options) {
        List<String> args = new ArrayList<>(List.of("bin/qfence"));
        // host options before the command, as the README shows them
        List<String> hostArgs = host.hostArgs();
        for (int i = 0; i < hostArgs.size(); i++) {
            String a = hostArgs.get(i);
            if (a.equals("--no-guests") || a.equals("--dir")) {
                i += a.equals("--dir") ? 1 : 0;
                continue;
            }
            args.add(a);
        }
        args.add(command);
        args.addAll(List.of(options));
        args.add("--no-guests");
        long t0 = System.nanoTime();
        Witness.Result r = Witness.tryRun(args.toArray(String[]::new));
        System.out.printf("bin/qfence %s %s: exit %d in %d ms%n", command, String.join(" ", options), r.exitCode(),
                (System.nanoTime() - t0) / 1_000_000);
        return r;
    }

    @Test
    void binQfenceRunsTheJvmWithASmallInitialHeapTheSerialCollectorAndABoundedMaximum() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bin/qfence", "--help").redirectErrorStream(true);
        pb.environment().remove("QFENCE_JAVA_OPTS");
        pb.environment().put("JAVA_TOOL_OPTIONS", "-XX:+PrintCommandLineFlags");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();

        assertThat(out).contains("-XX:InitialHeapSize=16777216", "-XX:MaxHeapSize=1073741824", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1");
    }

    @Test
    void theJvmsOwnWarningsGoToStandardErrorSoThatStandardOutputStaysTheProgramsOwn() throws Exception {
        // a JVM warning made on purpose (no large pages here); on a loaded CI machine it was an [os,thread] warning,
        // printed by default on standard output, that broke a JSON progress stream
        ProcessBuilder pb = new ProcessBuilder("bin/qfence", "--version");
        pb.environment().remove("QFENCE_JAVA_OPTS");
        pb.environment().put("JAVA_TOOL_OPTIONS", "-XX:+UseLargePages");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

        assertThat(p.waitFor()).as(err).isZero();
        assertThat(err).as("the warning was made, on stderr").contains("[warning][pagesize]");
        assertThat(out).as("stdout holds only the program's output").startsWith("qfence ").doesNotContain("[warning]");
    }

    @Test
    void helpAndVersionOfDemoAndVerifyPrintAtOnceWithoutInstallingOrBuildingTheProbeGuest() throws Exception {
        Path home = Files.createTempDirectory("qfence-help-home-");
        try {
            for (List<String> args : List.of(List.of("demo", "--help"), List.of("verify", "-h"), List.of("demo", "--version"))) {
                List<String> command = new ArrayList<>(List.of("bin/qfence"));
                command.addAll(args);
                ProcessBuilder pb = new ProcessBuilder(command);
                // a probe cache that does not exist: building the probe guest would create it
                pb.environment().put("QFENCE_PROBE_CACHE", home.resolve("probe").toString());
                pb.environment().remove("QFENCE_PROBE_IMAGES");
                Process p = pb.start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);

                assertThat(p.waitFor()).as(err).isZero();
                assertThat(err).as("%s prints nothing on stderr (no install, no probe build)", args).isEmpty();
                assertThat(out).startsWith(args.get(1).equals("--version") ? "qfence " : "Usage: qfence " + args.get(0));
                assertThat(home.resolve("probe")).doesNotExist();
            }
        } finally {
            Files.deleteIfExists(home);
        }
    }

    @Test
    void binQfenceAppliesTheBundledDesiredStateInAFreshNamespaceAndASecondPlanExits0() throws Exception {
        Witness.Result apply = qfence("apply", "--auto-approve");
        assertThat(apply.exitCode()).as(apply.stdout() + apply.stderr()).isZero();
        assertThat(apply.stdout()).contains("[1/", "+ firewall … done", "Apply complete: ");

        Witness.Result plan = qfence("plan");
        assertThat(plan.exitCode()).as(plan.stdout() + plan.stderr()).isZero();
        assertThat(plan.stdout()).startsWith("Host facts: ").contains("(observed on this host)\n\nNo changes.");
        qfence("plan"); // a second no-op plan, for the timing

        Witness.Result state = qfence("state");
        assertThat(state.exitCode()).isZero();
        assertThat(io.qfence.plan.SnapshotCodec.fromJson(state.stdout()).objects()).hasSize(28);
        assertThat(host.links()).hasSize(12);
        assertThat(Files.readString(host.stateDir().resolve("last-applied-objects.json"))).contains("\"format_version\"");
    }
}
