package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.cli.HostRealization;
import io.qfence.host.HostConnector;
import io.qfence.testing.ChildJvm;
import io.qfence.testing.ProbeImages;
import io.qfence.testing.CgroupHost;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code qfence verify} on this machine with real guests: the bundled desired state passes; a firewall broken after
 * apply fails on exactly the cells it opens; an interrupted run leaves nothing behind. Each run checks that no
 * namespace, cgroup, directory or process of its sandbox remains.
 */
@RequiresHost(tools = {"ip", "nft", "qemu-system-x86_64", "setpriv", "kill"})
class VerifyOnThisHostTest {

    static final Clock CLOCK = Clock.fixed(Bundled.TODAY.atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    static final Pattern SANDBOX = Pattern.compile("created (qfence-verify-[0-9a-f]{8})");

    static CliContext context() {
        return new CliContext(CLOCK, HostRealization.realizer(), HostConnector.NONE, new BufferedReader(new StringReader("")),
                io.qfence.app.Main.verification(io.qfence.app.Main.liveHost()));
    }

    /** Nothing of the sandbox remains: namespaces, cgroups in any hierarchy, its directory, its guests. */
    static void assertNothingLeftOf(String sandbox) throws Exception {
        assertThat(Witness.run("ip", "netns", "list")).doesNotContain(sandbox);
        for (Path h : cgroupHierarchies()) {
            assertThat(h.resolve(sandbox)).as("cgroup in " + h).doesNotExist();
        }
        assertThat(Path.of(System.getProperty("java.io.tmpdir"), sandbox)).doesNotExist();
        assertThat(Witness.tryRun("pgrep", "-f", "/" + sandbox + "/").stdout()).as("processes of the sandbox").isBlank();
    }

    @Test
    void verifyPassesOnTheBundledDesiredState() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Cli.commandLine(context()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("verify", "--dir", "desired-state", "--format", "json", "--probe-images", ProbeImages.directory().toString());

        System.out.println("MEASURE verify (bundled): " + out.toString().lines().filter(l -> l.contains("\"sandbox\"") || l.contains("_ms\"")
                || l.trim().matches("\"[a-z-]+\" : \\d+,?")).collect(Collectors.joining(" ")));
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).contains("\"passed\" : true", "\"mismatches\" : 0", "\"missing_layers\" : 0");
        // every invariant of policies/isolation.yaml proven by the probes that cover it
        assertThat(out.toString()).contains("\"broken_invariants\" : 0");
        assertThat(out.toString().lines().filter(l -> l.contains("\"verdict\" : \"proven\"")).count()).isEqualTo(6);
        Matcher m = SANDBOX.matcher(err.toString());
        assertThat(m.find()).isTrue();
        assertNothingLeftOf(m.group(1));
    }

    @Test
    void theDemoValidatesPlansAppliesShowsTheGuestsProvesTheIsolationAndLeavesNothingBehind() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Cli.commandLine(context()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("demo", "--dir", "desired-state", "--probe-images", ProbeImages.directory().toString());

        String shown = out.toString();
        System.out.println("MEASURE demo (in-process): " + shown.lines().filter(l -> l.startsWith("Demo done") || l.startsWith("PASSED"))
                .collect(Collectors.joining(" ")));
        assertThat(exit).as(shown + err).isZero();
        assertThat(shown).containsSubsequence("== 1/5 Validate", "valid: 1 host(s), 3 groups", "== 2/5 The plan for host hv1",
                "Plan: ", "== 3/5 Apply it in a sandbox", "== 4/5 The guests and their limits", "GUEST", "web-app-1", "running",
                "== 5/5 The isolation proof", "PASSED", "Demo done in", "What to run next:", "bin/qfence verify",
                "From probe guests to real images", "README, \"Run your own images\"");
        List<String> guestRows = shown.lines().filter(l -> l.matches("^[a-z]+-[a-z0-9-]+\\s+(web|db|ci)\\s+.*")).toList();
        assertThat(guestRows.stream().filter(l -> l.matches("^[a-z]+-[a-z0-9-]+\\s+(web|db|ci)\\s+\\d+\\s+\\d+\\s+running\\s+running.*")).count())
                .as("every guest runs, with its uid and pid:%n%s", String.join("\n", guestRows)).isEqualTo(9);
        Matcher m = SANDBOX.matcher(err.toString());
        assertThat(m.find()).isTrue();
        assertNothingLeftOf(m.group(1));
    }

    @Test
    void aBlanketAcceptFromWebToDbFailsVerifyOnExactlyTheCellsItOpens() throws Exception {
        List<String> sandboxes = new ArrayList<>();
        CliContext.Verification live = io.qfence.app.Main.verification(io.qfence.app.Main.liveHost());
        Verifier verifier = new Verifier(live.sandboxes(), live.apply());
        VerifyOptions options = VerifyOptions.of(ProbeImages.directory(), Bundled.TODAY, (a, msg) -> { }).afterApply(applied -> {
            sandboxes.add(applied.sandbox().name());
            // Between apply and probing: an accept for everything from web's bridge to db's, ahead of every drop.
            Witness.inNetns(applied.sandbox().name(), "nft", "insert", "rule", "inet", "qfence", "forward",
                    "iifname", "qfb-web", "oifname", "qfb-db", "accept");
        });

        VerifyReport report = verifier.verify(Bundled.STATE, "hv1", options);

        // Independently of the verifier: what the rule opens is every cell from a web VM to a db VM that the
        // policy denies. Nothing else may change.
        Set<String> web = Set.of("web-bastion", "web-app-1", "web-app-2");
        Set<String> db = Set.of("db-bastion", "db-main", "db-replica");
        Set<String> opened = report.results().stream().map(VerifyReport.CellResult::cell)
                .filter(c -> web.contains(c.source()) && db.contains(c.target()) && !c.expected())
                .map(ProbeCell::id).collect(Collectors.toSet());
        assertThat(opened).hasSizeGreaterThan(30);
        Set<String> found = report.mismatches().stream().map(r -> r.cell().id()).collect(Collectors.toSet());
        assertThat(report.passed()).isFalse();
        assertThat(found).as("verify fails on exactly the cells the rule opens").isEqualTo(opened);
        assertThat(report.mismatches()).allMatch(r -> r.observed() && !r.wrongTarget());
        assertThat(MatrixRenderer.text(report, false)).contains("Mismatches (" + found.size() + "):", "web-app-1 -> db-bastion tcp 22");
        assertNothingLeftOf(sandboxes.get(0));
    }

    /**
     * An exception the invariants forbid, forced into the sandbox's ruleset after apply (Git would refuse it: validate
     * reports the invariant it breaks): SSH from web's bridge to the host. verify reports exactly that invariant
     * broken, with the probes that prove it, and nothing else.
     */
    @Test
    void anSshExceptionForcedIntoTheSandboxBreaksExactlyNoSshToTheHostNamingTheProbes() throws Exception {
        List<String> sandboxes = new ArrayList<>();
        CliContext.Verification live = io.qfence.app.Main.verification(io.qfence.app.Main.liveHost());
        Verifier verifier = new Verifier(live.sandboxes(), live.apply());
        VerifyOptions options = VerifyOptions.of(ProbeImages.directory(), Bundled.TODAY, (a, msg) -> { }).afterApply(applied -> {
            sandboxes.add(applied.sandbox().name());
            Witness.inNetns(applied.sandbox().name(), "nft", "insert", "rule", "inet", "qfence", "input",
                    "iifname", "qfb-web", "tcp", "dport", "22", "accept");
        });

        VerifyReport report = verifier.verify(Bundled.STATE, "hv1", options);

        assertThat(report.passed()).isFalse();
        assertThat(report.brokenInvariants()).extracting(InvariantVerdict::name).containsExactly("no-ssh-to-the-host");
        assertThat(report.invariants()).filteredOn(v -> !v.name().equals("no-ssh-to-the-host"))
                .allSatisfy(v -> assertThat(v.verdict()).as(v.summary()).isEqualTo(InvariantVerdict.Proof.PROVEN));
        // the breaking probes are the mismatches the rule opens: a web guest to the host on tcp 22, reached
        Set<String> web = Set.of("web-bastion", "web-app-1", "web-app-2");
        InvariantVerdict broken = report.brokenInvariants().get(0);
        assertThat(broken.breaking()).isNotEmpty().allSatisfy(c -> {
            assertThat(web).contains(c.result().cell().source());
            assertThat(c.result().cell().target()).startsWith("host ");
            assertThat(c.result().cell().service()).isEqualTo("tcp 22");
            assertThat(c.reached()).isTrue();
        });
        assertThat(broken.breaking()).extracting(c -> c.result().cell().id())
                .containsExactlyInAnyOrderElementsOf(report.mismatches().stream().map(r -> r.cell().id()).toList());
        String text = MatrixRenderer.text(report, false);
        System.out.println("MEASURE verify (ssh forced): " + text.substring(text.indexOf("Invariants,")));
        assertThat(text).contains("broken  no-ssh-to-the-host (policies/isolation.yaml:20:7)",
                "observed reached, required not reached: QF-HOST-OK", "1 BROKEN");
        assertNothingLeftOf(sandboxes.get(0));
    }

    /**
     * Deliberately broken: one probe guest is started without its jail (its config's {@code namespaces} set to
     * {@code off} for the start only), while the host requires it. The isolation still holds, but verify fails,
     * naming that VM and the two layers it lacks.
     */
    @Test
    void aGuestStartedWithoutItsJailFailsVerifyNamingTheVmAndTheLayersItLacks() throws Exception {
        List<String> sandboxes = new ArrayList<>();
        CliContext.Verification live = io.qfence.app.Main.verification(io.qfence.app.Main.liveHost());
        Verifier verifier = new Verifier(live.sandboxes(), live.apply());
        VerifyOptions options = VerifyOptions.of(ProbeImages.directory(), Bundled.TODAY, (a, msg) -> { })
                .afterApply(applied -> sandboxes.add(applied.sandbox().name()))
                .startAs(g -> {
                    if (!g.vm().equals("web-app-1")) {
                        return g;
                    }
                    java.util.TreeMap<String, String> config = new java.util.TreeMap<>(g.config());
                    config.put("namespaces", "off");
                    return new io.qfence.model.host.Guest(g.address(), g.vm(), g.group(), g.uid(), g.gid(), g.argv(), g.configDigest(), config,
                            g.state(), g.launch(), g.runtime());
                });

        VerifyReport report = verifier.verify(Bundled.STATE, "hv1", options);

        assertThat(report.mismatches()).as("the isolation itself holds").isEmpty();
        assertThat(report.passed()).isFalse();
        assertThat(report.missingLayers()).extracting(m -> m.vm() + " " + m.layer().label()).containsExactly("web-app-1 namespaces", "web-app-1 root");
        assertThat(report.confinement()).hasSize(9).filteredOn(c -> !c.vm().equals("web-app-1"))
                .allSatisfy(c -> assertThat(c.missing()).as(c.vm()).isEmpty());
        String text = MatrixRenderer.text(report, false);
        System.out.println("MEASURE verify confinement (web-app-1 unjailed):\n" + text.substring(text.indexOf("Confinement of each guest")));
        assertThat(text).contains("Missing confinement layers (2):", "! web-app-1 lacks namespaces: found mnt:[",
                "] shared with the host", java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/ns/cgroup"))
                        ? "required mount, PID, IPC, UTS and cgroup namespaces of its own (confinement.namespaces)"
                        : "required mount, PID, IPC and UTS namespaces of its own (confinement.namespaces)", "FAILED:");
        assertNothingLeftOf(sandboxes.get(0));
    }

    @Test
    void anInterruptedVerifyLeavesNoNamespaceCgroupProcessOrFileBehind() throws Exception {
        List<String> command = new ArrayList<>(ChildJvm.command("io.qfence.app.Main"));
        command.addAll(List.of("verify", "--dir", "desired-state", "--probe-images", ProbeImages.directory().toString()));
        Process verify = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // stderr is read to its end on a thread of its own: a reader that stopped reading would fill the pipe, and a
        // verify blocked writing its progress (its teardown's too) would look like a teardown that hangs
        StringBuffer seen = new StringBuffer();
        java.util.concurrent.atomic.AtomicReference<String> sandbox = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch guestRunning = new java.util.concurrent.CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader stderr = new BufferedReader(new InputStreamReader(verify.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = stderr.readLine()) != null) {
                    seen.append(line).append('\n');
                    Matcher m = SANDBOX.matcher(line);
                    if (m.find()) {
                        sandbox.compareAndSet(null, m.group(1));
                    }
                    if (line.contains("running as pid")) {
                        guestRunning.countDown(); // guests are up, probing has not begun: the most to clean up
                    }
                }
            } catch (java.io.IOException e) {
                seen.append("reading stderr: ").append(e).append('\n');
            }
        }, "verify-stderr");
        reader.start();
        try {
            assertThat(guestRunning.await(10, TimeUnit.MINUTES)).as(seen.toString()).isTrue();
            assertThat(sandbox.get()).as(seen.toString()).isNotNull();
            assertThat(Witness.run("ip", "netns", "list")).contains(sandbox.get());

            Witness.run("kill", "-INT", Long.toString(verify.pid()));

            // teardown first waits for the guest starts in flight (each bounded), then kills and removes
            assertThat(verify.waitFor(150, TimeUnit.SECONDS)).as(seen.toString()).isTrue();
            reader.join(TimeUnit.SECONDS.toMillis(30));
        } finally {
            if (verify.isAlive()) {
                verify.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                removeLeftoversOf(sandbox.get()); // a failed test must not leave nine guests running for the rest of the suite
            }
        }
        assertThat(seen.toString()).contains("sandbox: killed", "sandbox: removed /tmp/" + sandbox.get());
        assertNothingLeftOf(sandbox.get());
    }

    /** Where a sandbox's cgroups can be: each v1 hierarchy, or the v2 root (the layout as qfence detects it). */
    private static java.util.Set<Path> cgroupHierarchies() {
        return new java.util.TreeSet<>(CgroupHost.layout().hierarchies().values());
    }

    /** Ends the processes of {@code sandbox}'s namespaces by pid, then removes its namespaces, cgroups and directory. */
    private static void removeLeftoversOf(String sandbox) throws Exception {
        if (sandbox == null) {
            return;
        }
        for (String ns : List.of(sandbox, sandbox + "-out")) {
            for (String pid : Witness.tryRun("ip", "netns", "pids", ns).stdout().split("\\s+")) {
                if (!pid.isBlank()) {
                    Witness.tryRun("kill", "-KILL", pid.trim());
                }
            }
        }
        Thread.sleep(2000); // the kernel finishes the exits before the cgroups can go
        for (String ns : List.of(sandbox, sandbox + "-out")) {
            Witness.tryRun("ip", "netns", "del", ns);
        }
        for (Path h : cgroupHierarchies()) {
            Path dir = h.resolve(sandbox);
            if (Files.isDirectory(dir)) {
                Witness.tryRun("find", dir.toString(), "-depth", "-type", "d", "-exec", "rmdir", "{}", ";");
            }
        }
        Witness.tryRun("rm", "-rf", Path.of(System.getProperty("java.io.tmpdir"), sandbox).toString());
    }
}
