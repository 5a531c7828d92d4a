package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.SnapshotCodec;
import io.qfence.source.DesiredStateLoader;
import io.qfence.testing.Golden;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code qfence plan --all-hosts} on the bundled three-host example: one section per host, exactly as
 * {@code plan --host H} prints it, under a fleet summary, and one exit code for the fleet (0 when no host changes, 2
 * when any does, 1 when any host cannot be planned, naming it). The small stand-in realization keeps the golden files
 * about the command's shape rather than about realization.
 */
class PlanAllHostsTest {

    static final String FLEET = "examples/fleet";
    static final Path GOLDEN = Golden.RESOURCES.resolve("golden/plan/fleet");

    /** A directory of snapshots, HOST.json, each exactly what the stand-in realizes for the named hosts. */
    static Path converged(Path dir, String... hosts) throws Exception {
        var state = DesiredStateLoader.loadDirectory(Path.of(FLEET), CliRun.TODAY).state().orElseThrow();
        for (String h : hosts) {
            var realized = HostRealization.realizer().realize(state, h, HostFacts.TYPICAL, LocalDate.of(2026, 6, 1));
            Files.writeString(dir.resolve(h + ".json"),
                    SnapshotCodec.toJson(new ObservedHost(h, HostFacts.TYPICAL, realized.objects(), List.of(), List.of(), List.of())));
        }
        return dir;
    }

    @Test
    void everyHostAgainstAnEmptyHostIsASectionEachAndExits2() {
        CliRun run = CliRun.of("plan", "--empty", "--all-hosts", "--dir", FLEET);

        assertThat(run.exitCode()).isEqualTo(2);
        Golden.assertMatches(GOLDEN.resolve("empty.txt"), run.out());
    }

    @Test
    void eachHostsSectionIsExactlyWhatPlanForThatHostPrints() {
        CliRun fleet = CliRun.of("plan", "--empty", "--all-hosts", "--dir", FLEET);

        for (String h : List.of("hv1", "hv2", "hv3")) {
            CliRun one = CliRun.of("plan", "--empty", "--host", h, "--dir", FLEET);
            assertThat(fleet.out()).contains("\n=== host " + h + " ===\n\n" + one.out());
        }
    }

    @Test
    void jsonHasASummaryAndEachHostsPlanWithItsStatus() throws Exception {
        CliRun run = CliRun.of("plan", "--empty", "--all-hosts", "--dir", FLEET, "--format", "json");

        assertThat(run.exitCode()).isEqualTo(2);
        Golden.assertMatches(GOLDEN.resolve("empty.json"), run.out());
        var json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("summary").get("changed").asInt()).isEqualTo(3);
        assertThat(json.get("hosts").findValuesAsText("host")).containsExactly("hv1", "hv2", "hv3");
    }

    @Test
    void markdownIsOneCommentWithATableOfHostsThenEachHost() {
        CliRun run = CliRun.of("plan", "--empty", "--all-hosts", "--dir", FLEET, "--format", "markdown");

        assertThat(run.exitCode()).isEqualTo(2);
        Golden.assertMatches(GOLDEN.resolve("empty.md"), run.out());
    }

    @Test
    void aFleetWhoseEveryHostIsConvergedExits0(@TempDir Path tmp) throws Exception {
        CliRun run = CliRun.of("plan", "--observed", converged(tmp, "hv1", "hv2", "hv3").toString(), "--all-hosts", "--dir", FLEET);

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("""
                Fleet plan: 3 hosts: 0 with changes, 3 without, 0 failed.
                  hv1  No changes.
                  hv2  No changes.
                  hv3  No changes.
                """);
    }

    @Test
    void oneHostWithChangesMakesTheFleetExit2(@TempDir Path tmp) throws Exception {
        Path dir = converged(tmp, "hv1", "hv2", "hv3");
        var state = DesiredStateLoader.loadDirectory(Path.of(FLEET), CliRun.TODAY).state().orElseThrow();
        Files.writeString(dir.resolve("hv2.json"), SnapshotCodec.toJson(ObservedHost.empty("hv2", HostFacts.TYPICAL)));

        CliRun run = CliRun.of("plan", "--observed", dir.toString(), "--all-hosts", "--dir", FLEET);

        assertThat(state.hosts()).hasSize(3);
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out().lines().limit(4)).containsExactly(
                "Fleet plan: 3 hosts: 1 with changes, 2 without, 0 failed.",
                "  hv1  No changes.",
                "  hv2  Plan: 13 to add, 0 to change, 0 to destroy, 2 to start, 0 to stop.",
                "  hv3  No changes.");
    }

    @Test
    void aHostThatCannotBePlannedIsNamedTheOthersArePlannedAndTheFleetExits1(@TempDir Path tmp) throws Exception {
        Path dir = converged(tmp, "hv1", "hv3");

        CliRun run = CliRun.of("plan", "--observed", dir.toString(), "--all-hosts", "--dir", FLEET);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).startsWith("Fleet plan: 3 hosts: 0 with changes, 2 without, 1 failed.\n")
                .contains("  hv2  error: cannot read the snapshot " + dir.resolve("hv2.json"))
                .contains("=== host hv2 ===\n\nqfence could not plan this host: cannot read the snapshot ");
        assertThat(run.err()).contains("qfence: error: host hv2: cannot read the snapshot " + dir.resolve("hv2.json"));
    }

    @Test
    void aSnapshotOfAnotherHostIsThatHostsError(@TempDir Path tmp) throws Exception {
        Path dir = converged(tmp, "hv1", "hv2", "hv3");
        Files.copy(dir.resolve("hv1.json"), dir.resolve("hv3.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        CliRun run = CliRun.of("plan", "--observed", dir.toString(), "--all-hosts", "--dir", FLEET, "--format", "json");

        assertThat(run.exitCode()).isEqualTo(1);
        var json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("summary").get("exit_code").asInt()).isEqualTo(1);
        assertThat(json.get("hosts").get(2).get("status").asText()).isEqualTo("error");
        assertThat(json.get("hosts").get(2).get("error").asText()).isEqualTo(dir.resolve("hv3.json") + " is a snapshot of host 'hv1', not of 'hv3'");
    }

    @Test
    void allHostsIsOfflineOnlyAndRefusesWhatChoosesOneHost(@TempDir Path tmp) {
        assertThat(CliRun.of("plan", "--live", "--all-hosts", "--dir", FLEET).err())
                .contains("--all-hosts plans offline");
        assertThat(CliRun.of("plan", "--empty", "--all-hosts", "--host", "hv1", "--dir", FLEET).err())
                .contains("--all-hosts plans every host; --host chooses one");
        assertThat(CliRun.of("plan", "--empty", "--all-hosts", "--out", tmp.resolve("p.json").toString(), "--dir", FLEET).err())
                .contains("--out saves one host's plan");
        CliRun file = CliRun.of("plan", "--observed", "examples/fleet/hosts/hv1.yaml", "--all-hosts", "--dir", FLEET);
        assertThat(file.exitCode()).isEqualTo(1);
        assertThat(file.err()).contains("is not a directory");
    }
}
