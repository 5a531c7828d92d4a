package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Plan;
import io.qfence.plan.PlanCodec;
import io.qfence.plan.SnapshotCodec;
import io.qfence.source.DesiredStateLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code qfence plan} on the example desired state: end to end with the real realization, and with a small stand-in
 * where a test is about the command rather than about what realization produces.
 */
class PlanCommandTest {

    static final String EXAMPLE = "desired-state";

    /** A snapshot of a host that has exactly what the example desired state realizes to. */
    static Path snapshotOfTheRealization(Path dir) throws Exception {
        var state = DesiredStateLoader.loadDirectory(Path.of(EXAMPLE), CliRun.TODAY).state().orElseThrow();
        var realized = new FakeRealization().realize(state, "hv1", HostFacts.TYPICAL, LocalDate.of(2026, 6, 1));
        Path file = dir.resolve("hv1.json");
        Files.writeString(file, SnapshotCodec.toJson(new ObservedHost("hv1", HostFacts.TYPICAL, realized.objects(), List.of(), List.of(), List.of())));
        return file;
    }

    @Test
    void theExampleAgainstAnEmptyHostIsAFullPlanThatExits2() {
        CliRun run = CliRun.of("plan", "--empty", "--dir", EXAMPLE);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).startsWith("Host facts: ").contains("\n\nActions are shown with these symbols:\n  + create\n  > start\n")
                .contains("  # firewall will be created\n", "  # group.web/vm.web-app-1/tap will be created\n", "  # group.db/vm.db-main will be started\n")
                .containsPattern("\nPlan: \\d+ to add, 0 to change, 0 to destroy, 8 to start, 0 to stop.\n$");
    }

    @Test
    void theExampleAgainstASnapshotOfItsRealizationExits0(@TempDir Path tmp) throws Exception {
        var state = DesiredStateLoader.loadDirectory(Path.of(EXAMPLE), CliRun.TODAY).state().orElseThrow();
        var realized = HostRealization.realizer().realize(state, "hv1", HostFacts.TYPICAL, LocalDate.of(2026, 6, 1));
        Path file = tmp.resolve("hv1.json");
        Files.writeString(file, SnapshotCodec.toJson(new ObservedHost("hv1", HostFacts.TYPICAL, realized.objects(), List.of(), List.of(), List.of())));

        CliRun run = CliRun.of("plan", "--observed", file.toString(), "--dir", EXAMPLE, "--format", "json");

        assertThat(run.exitCode()).isZero();
        var json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("resource_changes")).isEmpty();
        assertThat(json.get("observed_digest")).isEqualTo(json.get("desired_digest"));
    }

    @Test
    void anExpiredExceptionIsWarnedAboutOnceWhetherTheStateComesFromADirectoryOrFromGit(@TempDir Path repo) throws Exception {
        try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
            InvalidCorpusTest.copyTree(Path.of(EXAMPLE), repo.resolve(EXAMPLE));
            DiffCommandTest.commit(git, "example");
        }

        CliRun fromDirectory = CliRun.of("plan", "--empty", "--dir", EXAMPLE);
        CliRun fromGit = CliRun.of("plan", "--empty", "--repo", repo.toString(), "--rev", "main");

        for (CliRun run : List.of(fromDirectory, fromGit)) {
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err().lines().filter(l -> l.contains("expired")))
                    .containsExactly("groups/web.yaml:40:18: warning: firewall exception expired on 2025-06-30 and is ignored");
            assertThat(run.out()).doesNotContain("qf:exception:web:3");
        }
    }

    @Test
    void planAgainstAnEmptyHostPrintsAFullPlanAndExits2() {
        CliRun run = CliRun.realized("plan", "--empty", "--dir", EXAMPLE);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).contains("qfence will perform the following actions:", "+ firewall \"firewall\" {",
                "> guest \"group.web/vm.web-bastion\" {").containsPattern("Plan: \\d+ to add, 0 to change, 0 to destroy, \\d+ to start, 0 to stop.");
        assertThat(run.err()).isEqualTo("groups/web.yaml:40:18: warning: firewall exception expired on 2025-06-30 and is ignored\n");
    }

    @Test
    void planAgainstASnapshotEqualToTheRealizationExits0(@TempDir Path tmp) throws Exception {
        CliRun run = CliRun.realized("plan", "--observed", snapshotOfTheRealization(tmp).toString(), "--dir", EXAMPLE);

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("Host facts: " + FactsChoice.describe(io.qfence.model.host.HostFacts.TYPICAL) + " (from the snapshot "
                + snapshotOfTheRealization(tmp) + ")\n\nNo changes. The host matches the desired state.\n");
    }

    @Test
    void jsonFollowsThePlanSchemaAndMarkdownHasTheSummaryTable() throws Exception {
        CliRun json = CliRun.realized("plan", "--empty", "--dir", EXAMPLE, "--format", "json");
        CliRun markdown = CliRun.realized("plan", "--empty", "--dir", EXAMPLE, "--format", "markdown");

        var schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(Files.readString(Path.of("schemas/plan.schema.json")));
        assertThat(schema.validate(new ObjectMapper().readTree(json.out()))).isEmpty();
        assertThat(json.exitCode()).isEqualTo(2);
        assertThat(markdown.out()).startsWith("### qfence plan for `hv1`").contains("| **total** |", "<details>");
        assertThat(markdown.out()).doesNotContain("\u001b[");
    }

    @Test
    void aSavedPlanRecordsTheObservedStateItWasMadeFrom(@TempDir Path tmp) throws Exception {
        Path saved = tmp.resolve("plan.json");

        CliRun run = CliRun.realized("plan", "--empty", "--dir", EXAMPLE, "--out", saved.toString(), "--format", "json");

        Plan plan = PlanCodec.fromJson(Files.readString(saved));
        assertThat(run.exitCode()).isEqualTo(2);
        PlanCodec.requireFresh(plan, ObservedHost.empty("hv1", HostFacts.TYPICAL));
        assertThat(new ObjectMapper().readTree(run.out()).get("observed_digest").asText()).isEqualTo(plan.observedDigest());
    }

    @Test
    void wrongUsageExits1WithAMessage(@TempDir Path tmp) throws Exception {
        CliRun both = CliRun.realized("plan", "--empty", "--observed", "x.json", "--dir", EXAMPLE);
        CliRun neither = CliRun.realized("plan", "--dir", EXAMPLE);
        CliRun unknownHost = CliRun.realized("plan", "--empty", "--host", "hv9", "--dir", EXAMPLE);
        Path other = tmp.resolve("other.json");
        Files.writeString(other, SnapshotCodec.toJson(ObservedHost.empty("hv2", HostFacts.TYPICAL)));
        CliRun otherHost = CliRun.realized("plan", "--observed", other.toString(), "--dir", EXAMPLE);
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"format_version\":\"1.0\",\"host\":\"hv1\"}");
        CliRun brokenSnapshot = CliRun.realized("plan", "--observed", broken.toString(), "--dir", EXAMPLE);

        assertThat(List.of(both, neither, unknownHost, otherHost, brokenSnapshot)).allSatisfy(r -> assertThat(r.exitCode()).isEqualTo(1));
        CliRun liveOptionsOffline = CliRun.realized("plan", "--empty", "--netns", "x", "--dir", EXAMPLE);
        CliRun liveWithoutHost = CliRun.realized("plan", "--live", "--dir", EXAMPLE);
        CliRun badScope = CliRun.realized("plan", "--empty", "--scope", "network,disks", "--dir", EXAMPLE);

        assertThat(List.of(liveOptionsOffline, liveWithoutHost, badScope)).allSatisfy(r -> assertThat(r.exitCode()).isEqualTo(1));
        assertThat(both.err()).contains("--observed=FILE, --empty are mutually exclusive");
        assertThat(neither.err()).isEqualTo("qfence: error: plan needs a host to compare with: run it as root on the host (plan --live), "
                + "or plan offline with --empty (a bare host) or --observed FILE (a snapshot from qfence state)\n");
        assertThat(liveOptionsOffline.err()).contains("are for the live host; with --empty or --observed they would change nothing");
        assertThat(liveWithoutHost.err()).contains("qfence: error: plan --live reads the live host, which needs root on Linux");
        assertThat(badScope.err()).contains("qfence: error: --scope network,disks: unknown scope 'disks': use network,firewall,cgroups,guests");
        assertThat(unknownHost.err()).endsWith("\nqfence: error: no host 'hv9' in the desired state; it has: hv1\n");
        assertThat(otherHost.err()).endsWith("\nqfence: error: " + other + " is a snapshot of host 'hv2', not of 'hv1'\n");
        assertThat(brokenSnapshot.err()).contains("\nqfence: error: " + broken + ": invalid snapshot: Missing creator property");
    }

    @Test
    void anInvalidDesiredStateIsReportedAndExits1() {
        CliRun run = CliRun.realized("plan", "--empty", "--dir", "src/test/resources/invalid/yaml-syntax-error");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("groups/alpha.yaml:");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void jsonAndMarkdownPlansCarryTheWarningsThatTextPrintsOnStderr() throws Exception {
        CliRun json = CliRun.of("plan", "--empty", "--format", "json");
        CliRun markdown = CliRun.of("plan", "--empty", "--format", "markdown");
        CliRun text = CliRun.of("plan", "--empty");

        String expired = "groups/web.yaml:40:18: firewall exception expired on 2025-06-30 and is ignored";
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()).get("warnings").toString())
                .contains("\"" + expired + "\"");
        assertThat(markdown.out()).contains("- :warning: " + expired + "\n");
        assertThat(text.err()).contains("groups/web.yaml:40:18: warning: firewall exception expired on 2025-06-30 and is ignored\n");
        assertThat(text.out()).doesNotContain("expired");
    }

    @Test
    void everyPlanSaysAtItsTopWhichHostFactsItAssumesAndTheJsonValidates(@TempDir Path tmp) throws Exception {
        CliRun text = CliRun.of("plan", "--empty");
        CliRun markdown = CliRun.of("plan", "--empty", "--format", "markdown");
        CliRun json = CliRun.of("plan", "--empty", "--format", "json");

        String typical = "Host facts: cgroup v2; without apparmor, kvm (assumed: a typical host; --facts this-host or FILE chooses others)";
        assertThat(text.out()).startsWith(typical + "\n\n");
        assertThat(markdown.out()).startsWith("### qfence plan for `hv1`\n\n" + typical + "\n\n");
        com.fasterxml.jackson.databind.JsonNode facts = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()).get("host_facts");
        assertThat(facts.get("cgroup_version").asText()).isEqualTo("v2");
        assertThat(facts.get("capabilities").toString()).contains("\"vlan_8021q\"").doesNotContain("apparmor");
        assertThat(json.out()).startsWith("{\n  \"format_version\" : \"1.0\",\n  \"host\" : \"hv1\",\n  \"host_facts\" : {");
    }

    @Test
    void factsChosenFromAFileChangeTheRealization(@TempDir Path tmp) throws Exception {
        Path v1 = tmp.resolve("facts.json");
        java.nio.file.Files.writeString(v1, "{\"cgroup_version\": \"v1\", \"capabilities\": [\"bridge\", \"tun\", \"veth\", \"br_netfilter\", "
                + "\"nft_inet\", \"nft_bridge\", \"seccomp\", \"apparmor\", \"namespaces\"]}");

        CliRun run = CliRun.of("plan", "--empty", "--facts", v1.toString());

        assertThat(run.out()).startsWith("Host facts: cgroup v1; without vlan_8021q, bridge_vlan_filtering, cgroup_io_weight, kvm (from "
                + v1 + ")\n").contains("memory/memory.limit_in_bytes").doesNotContain("memory.max");
    }

    @Test
    void factsAreRefusedWhereTheHostOrSnapshotBringsItsOwnAndABadFileIsNamed(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("bad.json");
        java.nio.file.Files.writeString(bad, "{\"cgroup_version\": \"v3\", \"capabilities\": []}");

        CliRun observed = CliRun.of("plan", "--observed", bad.toString(), "--facts", "typical");
        CliRun wrong = CliRun.of("plan", "--empty", "--facts", bad.toString());

        assertThat(observed.exitCode()).isEqualTo(1);
        assertThat(observed.err()).isEqualTo("qfence: error: --facts is for plan --empty: a live host and a snapshot bring their own facts\n");
        assertThat(wrong.exitCode()).isEqualTo(1);
        assertThat(wrong.err()).contains("qfence: error: --facts " + bad + ": unknown cgroup version or capability (V3)");
    }

    @Test
    void aSnapshotOrOutFileThatCannotBeUsedIsSaidInWords(@TempDir Path tmp) {
        Path absent = tmp.resolve("absent.json");

        CliRun read = CliRun.of("plan", "--observed", absent.toString());
        CliRun directory = CliRun.of("plan", "--observed", tmp.toString());
        CliRun write = CliRun.of("plan", "--empty", "--out", absent.resolve("plan.json").toString());

        assertThat(read.err()).endsWith("qfence: error: cannot read the snapshot " + absent + ": does not exist\n");
        assertThat(directory.err()).endsWith("qfence: error: cannot read the snapshot " + tmp + ": is a directory\n");
        assertThat(write.err()).endsWith("qfence: error: cannot write the plan to " + absent.resolve("plan.json") + ": its directory " + absent
                + " does not exist\n");
        assertThat(List.of(read.exitCode(), directory.exitCode(), write.exitCode())).containsOnly(1);
    }

    @Test
    void aFactsFileThatIsNotJsonIsNamedWithWhereItStopsInWordsNotTheParsersInternals(@TempDir Path tmp) throws Exception {
        Path passwd = tmp.resolve("passwd");
        java.nio.file.Files.writeString(passwd, "root:x:0:0:root:/root:/bin/bash\n");

        CliRun run = CliRun.of("plan", "--empty", "--facts", passwd.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).endsWith("qfence: error: --facts " + passwd + ": not JSON: Unrecognized token 'root': was expecting "
                + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false') at line 1, column 1\n");
    }

    @Test
    void aFactsFileThatCannotBeReadIsNamedOnceWithTheReason(@TempDir Path tmp) throws Exception {
        Path absent = tmp.resolve("absent.json");

        CliRun run = CliRun.of("plan", "--empty", "--facts", absent.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).endsWith("qfence: error: --facts " + absent + ": does not exist\n");
    }
}
