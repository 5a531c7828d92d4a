package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.host.FakeHost;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.SnapshotCodec;
import io.qfence.testing.Golden;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code apply}, {@code state} and {@code plan --live} as a person or a script sees them, against an in-memory host. */
class ApplyCommandTest {

    @TempDir
    Path tmp;

    private final FakeHost host = new FakeHost();

    private CliRun run(String input, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--no-guests", "--state-dir", tmp.resolve("state").toString()));
        return CliRun.onHost(CliRun.connector(host), input, all.toArray(String[]::new));
    }

    @Test
    void applyShowsThePlanAsksAndChangesNothingUnlessTheAnswerIsYes() {
        CliRun no = run("no\n", "apply");
        CliRun nothing = run("", "apply");

        assertThat(no.exitCode()).isEqualTo(1);
        assertThat(no.out()).as("the plan is headed, as qfence plan's is, by the host facts it was made for")
                .startsWith("Host facts: " + FactsChoice.describe(FakeHost.FACTS) + " (observed on this host)\n\nActions are shown");
        assertThat(no.out()).contains("Plan: 28 to add, 0 to change, 0 to destroy, 0 to start, 0 to stop.",
                "Do you want to perform these actions? Only 'yes' will be accepted: ");
        assertThat(no.err()).endsWith("Apply cancelled: nothing was changed.\n");
        assertThat(nothing.exitCode()).isEqualTo(1);
        assertThat(host.calls()).isEmpty();
        assertThat(tmp.resolve("state")).as("a 'no' writes nothing, not even the state directory or its lock").doesNotExist();
    }

    @Test
    void aYesAppliesOnlyWhenTheHostIsStillAsPlannedAgainst() {
        // the host changes between the plan and the answer: someone sets a host setting while the person reads the plan
        java.io.BufferedReader answer = new java.io.BufferedReader(new java.io.StringReader("yes\n")) {
            @Override
            public String readLine() throws java.io.IOException {
                host.put(new io.qfence.model.host.Sysctl("host/sysctl/net.ipv4.ip_forward", "net.ipv4.ip_forward", "0"));
                return super.readLine();
            }
        };
        List<String> args = new ArrayList<>(List.of("apply", "--no-guests", "--state-dir", tmp.resolve("state").toString()));
        CliRun yes = CliRun.run(new CliContext(CliRun.TODAY, HostRealization.realizer(), CliRun.connector(host), answer),
                args.toArray(String[]::new));

        assertThat(yes.exitCode()).isEqualTo(1);
        assertThat(yes.err()).contains("the plan was made for the host as observed at sha256:", "; make a new plan");
        assertThat(host.calls()).as("nothing applied").isEmpty();
    }

    @Test
    void whatIsKnownToFailBeforeAnyChangeIsShownInThePlanAndStopsTheApplyBeforeItsFirstChange() {
        io.qfence.host.GuestPort fakes = host.new FakeGuests();
        host.guestPort(new FakeHost.ForwardingGuests(() -> fakes) {
            @Override
            public List<String> preflight(List<io.qfence.model.host.Guest> starting) {
                return List.of("imagesRoot /nowhere is not a directory (it does not exist); the guests to start boot from it");
            }
        });

        CliRun apply = CliRun.onHost(CliRun.connector(host), "", "apply", "--auto-approve", "--state-dir", tmp.resolve("state").toString());

        assertThat(apply.exitCode()).isEqualTo(1);
        assertThat(apply.out()).startsWith("Host facts: " + FactsChoice.describe(FakeHost.FACTS) + " (observed on this host)\n\n");
        assertThat(apply.out()).contains("\nError: imagesRoot /nowhere is not a directory (it does not exist); the guests to start boot from it\n");
        assertThat(apply.err()).endsWith("qfence: error: the plan cannot be applied: imagesRoot /nowhere is not a directory (it does not exist); "
                + "the guests to start boot from it\n");
        assertThat(host.calls()).as("nothing changed").isEmpty();
    }

    @Test
    void applyWithYesAppliesStepByStepSummarizesAndThenThePlanIsEmpty() {
        CliRun yes = run("yes\n", "apply");

        assertThat(yes.exitCode()).isZero();
        assertThat(yes.out()).containsPattern("\\n\\[1/28\\] \\+ firewall … done \\(\\d+ ms\\)\\n")
                .containsPattern("\\n\\[28/28\\] \\+ group.web/vm.web-bastion/tap … done \\(one of \\d+ in a batch of \\d+ ms\\)\\n")
                .containsPattern("\\nApply complete: 28 added, 0 changed, 0 destroyed, 0 started, 0 stopped, in .+ \\(observe .+, plan .+, apply .+\\)\\.\\n$");
        assertThat(yes.err()).startsWith("groups/web.yaml:40:18: warning: firewall exception expired on 2025-06-30 and is ignored\n");

        CliRun plan = run("", "plan");
        assertThat(plan.exitCode()).isZero();
        assertThat(plan.out()).contains("No changes.");
        CliRun again = run("", "apply");
        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).startsWith("No changes. The host matches the desired state.");
    }

    @Test
    void jsonProgressIsOneEventPerLineAndNeedsAutoApprove() throws Exception {
        CliRun refused = run("", "apply", "--progress", "json");
        CliRun json = run("", "apply", "--progress", "json", "--auto-approve");

        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).isEqualTo("qfence: error: --progress json cannot ask for confirmation: add --auto-approve\n");
        assertThat(json.exitCode()).isZero();
        List<JsonNode> events = new ArrayList<>();
        for (String line : json.out().split("\n")) {
            events.add(new ObjectMapper().readTree(line));
        }
        assertThat(events.get(0).get("event").asText()).isEqualTo("plan");
        assertThat(events.get(0).get("changes").asInt()).isEqualTo(28);
        assertThat(events.get(1).toString()).isEqualTo("{\"event\":\"start\",\"step\":1,\"total\":28,\"address\":\"firewall\",\"actions\":[\"create\"]}");
        assertThat(events.get(2).get("event").asText()).isEqualTo("done");
        assertThat(events).filteredOn(e -> e.get("event").asText().equals("done")).hasSize(28);
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.get("event").asText()).isEqualTo("complete");
        assertThat(last.get("outcome").asText()).isEqualTo("applied");
        assertThat(last.get("applied").asInt()).isEqualTo(28);
    }

    /**
     * The closing event of {@code --progress json} is what programs read instead of the text line (bench/run): the
     * outcome, the counts and the engine's phase timings. Golden with the times zeroed (they are measured).
     */
    @Test
    void theJsonCompleteEventCarriesThePhaseTimingsOfAnApplyAndOfANoOp() {
        CliRun applied = run("", "apply", "--progress", "json", "--auto-approve");
        CliRun noop = run("", "apply", "--progress", "json", "--auto-approve");

        assertThat(applied.exitCode()).isZero();
        assertThat(noop.exitCode()).isZero();
        String completes = lastLine(applied.out()) + "\n" + lastLine(noop.out()) + "\n";
        Golden.assertMatches("cli/progress-complete.jsonl", completes.replaceAll("(\"[a-z_]*ms\":)[0-9.Ee+-]+", "$10"));
    }

    private static String lastLine(String out) {
        String[] lines = out.split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void aFailedStepIsReportedWithWhatRemains() {
        host.refuse("create group.db/bridge", FakeHost.refusal(HostPortException.Port.LINKS, "create bridge qfb-db", "link qfb-db", 17,
                "File exists (EEXIST, errno 17)"));

        CliRun failed = run("", "apply", "--auto-approve");

        assertThat(failed.exitCode()).isEqualTo(1);
        assertThat(failed.out()).containsPattern("\\[\\d+/28\\] \\+ group.db/bridge … failed \\(\\d+ ms\\): "
                + "group.db/bridge: could not create it: link qfb-db: create bridge qfb-db: File exists \\(EEXIST, errno 17\\)\n");
        assertThat(failed.out() + failed.err()).as("the failure is said once").containsOnlyOnce("File exists");
        assertThat(failed.err()).containsPattern("\nApply failed: \\d+ of 28 changes done, 1 failed, \\d+ not run \\(nothing runs after a "
                + "failure\\)\\. The next plan shows what remains\\.\n$");
    }

    @Test
    void whenEveryParallelGuestStartFailsTheLastLineCountsThemAndEachFailureIsSaidOnceInStepOrder() {
        for (String vm : List.of("ci-bastion", "ci-builder", "db-bastion", "db-main", "db-replica", "web-app-1", "web-app-2",
                "web-bastion")) {
            String group = vm.substring(0, vm.indexOf('-'));
            host.refuse("start group." + group + "/vm." + vm, FakeHost.refusal(HostPortException.Port.GUESTS, "start", "vm " + vm, "no QEMU for " + vm));
        }

        CliRun failed = CliRun.onHost(CliRun.connector(host), "", "apply", "--auto-approve", "--state-dir", tmp.resolve("state").toString());

        assertThat(failed.exitCode()).isEqualTo(1);
        assertThat(failed.err()).endsWith("\nApply failed: 28 of 36 changes done, 8 failed. The next plan shows what remains.\n");
        List<String> steps = failed.out().lines().filter(l -> l.startsWith("[")).toList();
        assertThat(steps).hasSize(36);
        for (int i = 0; i < steps.size(); i++) {
            assertThat(steps.get(i)).as("line %d in step order", i + 1).startsWith("[" + (i + 1) + "/36] ");
        }
        assertThat(steps.subList(28, 36)).allSatisfy(l -> assertThat(l).containsPattern("… failed \\(\\d+ ms\\): group\\..+: could not start "
                + "it: vm .+: start: no QEMU for "));
        assertThat(failed.out() + failed.err()).containsOnlyOnce("no QEMU for web-app-2");
    }

    @Test
    void linksAppliedInOneBatchSayTheBatchsTimeNotAnOwnTimeEach() {
        CliRun applied = run("", "apply", "--auto-approve");

        assertThat(applied.out()).containsPattern("\\] \\+ group.web/bridge … done \\(one of \\d+ in a batch of \\d+ ms\\)\n");
    }

    @Test
    void hostOptionsMayComeBeforeTheCommand() {
        CliRun before = CliRun.onHost(CliRun.connector(host), "", "--state-dir", tmp.resolve("before").toString(), "apply",
                "--auto-approve", "--no-guests");

        assertThat(before.exitCode()).isZero();
        assertThat(tmp.resolve("before").resolve("last-applied-objects.json")).exists();
    }

    @Test
    void aSavedPlanIsRefusedOnceTheHostChanged() {
        Path saved = tmp.resolve("plan.json");
        assertThat(run("", "plan", "--out", saved.toString()).exitCode()).isEqualTo(2);
        host.put(io.qfence.model.host.Sysctl.of("net.ipv4.ip_forward", "0"));

        CliRun stale = run("", "apply", "--plan", saved.toString(), "--auto-approve");

        assertThat(stale.exitCode()).isEqualTo(1);
        assertThat(stale.err()).contains("qfence: error: the plan was made for the host as observed at sha256:").endsWith("; make a new plan\n");
        assertThat(host.calls()).isEmpty();
    }

    @Test
    void waitReadyNamesEveryGuestNotReadyAtTheTimeoutAndFailsAndStateBootShowsWhy() {
        CliRun apply = CliRun.onHost(CliRun.connector(host), "", "apply", "--auto-approve", "--wait-ready", "--ready-timeout", "1s",
                "--state-dir", tmp.resolve("state").toString());
        CliRun boot = CliRun.onHost(CliRun.connector(host), "", "state", "--format", "boot", "--state-dir", tmp.resolve("state").toString());

        assertThat(apply.exitCode()).as(apply.err()).isEqualTo(1);
        assertThat(apply.out()).as(apply.err()).containsPattern("\nWaiting up to \\S+ s for \\d+ running guest\\(s\\) to finish cloud-init")
                .containsPattern("\ngroup.web/vm.web-app-1: not ready after \\d+\\.\\d s: unknown \\(this host port reads no consoles\\)\n");
        assertThat(apply.err()).contains("\nqfence: error: not ready after ").contains("web-app-1");
        assertThat(boot.exitCode()).isZero();
        assertThat(boot.out().lines().toList().get(0)).matches("GUEST +STATE +BOOT");
        assertThat(boot.out()).containsPattern("\nweb-app-1 +running +unknown \\(this host port reads no consoles\\)\n");
    }

    @Test
    void stateIsTheSnapshotThatPlanObservedReadsInJsonOrYamlWithLookAlikesAsWarnings() throws Exception {
        run("", "apply", "--auto-approve");
        host.foreignLink("qfx-1", "it has no qfence alias").foreignTable("ip qfence");

        CliRun json = run("", "state");
        CliRun yaml = run("", "state", "--format", "yaml");

        assertThat(json.exitCode()).isZero();
        ObservedHost snapshot = SnapshotCodec.fromJson(json.out());
        assertThat(snapshot.objects()).hasSize(28);
        assertThat(json.err()).isEqualTo("""
                warning: link qfx-1 is not qfence's (it has no qfence alias); qfence leaves it alone
                warning: nft table ip qfence is not qfence's (qfence owns only inet qfence and bridge qfence); qfence leaves it alone
                groups/web.yaml:40:18: warning: firewall exception expired on 2025-06-30 and is ignored
                hosts/hv1.yaml:3:1: warning: host hv1: AppArmor is preferred but not available on this host; guests run confined by seccomp and their own uid only
                """);
        assertThat(yaml.out()).startsWith("format_version: '1.0'\nhost: hv1\n").contains("  - kind: link\n");
        Path file = tmp.resolve("state.json");
        java.nio.file.Files.writeString(file, json.out());
        CliRun offline = CliRun.of("plan", "--observed", file.toString(), "--no-guests");
        assertThat(offline.exitCode()).as(offline.err()).isZero();
    }
}
