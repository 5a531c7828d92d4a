package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.app.Main;
import io.qfence.model.InterfaceNames;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.Link;
import io.qfence.model.host.NftTable;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.nft.Normalizer;
import io.qfence.realize.Realization;
import io.qfence.testing.ChildJvm;
import io.qfence.testing.RequiresHost;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An apply killed at any point (SIGKILL, from outside, as the kernel's OOM killer or a power cut would end it) is
 * completed by the next one: the next plan shows the remaining work, applying it converges, and nothing leaks or is
 * doubled (no link under a temporary name, no duplicate rule or cgroup). The killed apply is a real {@code qfence}
 * process reporting its progress as JSON lines; it is killed after a given number of verified steps, or right as the
 * firewall transaction or the link creations begin.
 *
 * <p>The cgroups are checked in the layout this host has ({@link CgroupLayout#detect()}): the same directories in
 * every v1 hierarchy, or the one v2 tree, and each realized file (a v1 {@code hierarchy/file} or a v2 file) read back
 * directly from where that layout keeps it. {@link CrashSafetyLabTest} runs these same trials on the lab's cgroup v2.
 */
@RequiresHost(tools = {"ip", "nft"})
class CrashSafetyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LiveSandbox host;

    @BeforeEach
    void createHost() {
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

    @ParameterizedTest(name = "killed after {0} verified steps")
    @ValueSource(ints = {1, 3, 7, 15, 22})
    void anApplyKilledAfterSomeStepsIsCompletedByTheNext(int steps) throws Exception {
        int[] done = {0};
        int killedAt = killApplyWhen(e -> e.path("event").asText().equals("done") && ++done[0] == steps);

        assertThat(killedAt).isGreaterThanOrEqualTo(steps);
        nextApplyConverges();
    }

    @Test
    void anApplyKilledAsTheFirewallTransactionStartsIsCompletedByTheNext() throws Exception {
        killApplyWhen(e -> e.path("event").asText().equals("start") && e.path("address").asText().equals("firewall"));

        nextApplyConverges();
    }

    @Test
    void anApplyKilledAsItStartsCreatingLinksIsCompletedByTheNext() throws Exception {
        killApplyWhen(e -> e.path("event").asText().equals("start") && e.path("address").asText().endsWith("/tap"));

        nextApplyConverges();
    }

    /**
     * Runs {@code qfence apply --progress json} as a process of its own and kills it (SIGKILL) at the first event
     * {@code killHere} accepts. Returns how many steps it had reported done by then.
     */
    private int killApplyWhen(Predicate<JsonNode> killHere) throws Exception {
        List<String> command = new ArrayList<>(ChildJvm.command(Main.class.getName(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        command.addAll(List.of("apply", "--auto-approve", "--progress", "json"));
        command.addAll(host.hostArgs());
        Process apply = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int done = 0;
        boolean killed = false;
        try (BufferedReader events = new BufferedReader(new InputStreamReader(apply.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = events.readLine()) != null) {
                JsonNode event = JSON.readTree(line);
                if (event.path("event").asText().equals("done")) {
                    done++;
                }
                if (killHere.test(event)) {
                    apply.destroyForcibly(); // SIGKILL
                    killed = true;
                    break;
                }
            }
        } finally {
            if (!apply.waitFor(60, TimeUnit.SECONDS)) {
                apply.destroyForcibly();
            }
        }
        assertThat(killed).as("the apply was still running at the chosen point").isTrue();
        assertThat(apply.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
        System.out.println("killed after " + done + " verified steps");
        return done;
    }

    private void nextApplyConverges() throws java.io.IOException {
        CliRun plan = host.cli("plan");
        assertThat(plan.exitCode()).as("the plan after the crash: %s%s", plan.out(), plan.err()).isIn(0, 2);
        System.out.println("after the crash: " + plan.out().lines().filter(l -> l.startsWith("Plan: ") || l.startsWith("No changes"))
                .findFirst().orElse("?") + plan.out().lines().filter(l -> l.contains("interrupted")).map(l -> " " + l.strip()).toList());

        CliRun apply = host.cli("apply", "--auto-approve");
        assertThat(apply.exitCode()).as(apply.out() + apply.err()).isZero();
        CliRun again = host.cli("plan");
        assertThat(again.exitCode()).as(again.out()).isZero();

        Realization realization = host.realization();
        List<String> names = new ArrayList<>(List.of("lo"));
        realization.objects(Link.class).forEach(l -> names.add(l.name()));
        assertThat(host.links()).extracting(l -> l.path("ifname").asText()).containsExactlyInAnyOrderElementsOf(names)
                .noneMatch(InterfaceNames::isTemporary);
        for (NftTable want : realization.firewall().tables()) {
            assertThat(Normalizer.normalize(host.witness("nft", "-j", "list", "table", want.family(), want.name()), want.family(), want.name())
                    .table()).isEqualTo(want);
        }
        List<Cgroup> realized = realization.objects(Cgroup.class);
        List<String> cgroups = realized.stream().map(c -> c.path().substring(host.cgroupParent.length() + 1)).toList();
        CgroupLayout layout = CgroupLayout.detect();
        assertThat(realized).as("realized for this host's layout").allMatch(c -> c.version() == layout.version());
        Map<Path, List<String>> dirs = GuestKills.cgroupDirsByHierarchy(host);
        assertThat(dirs).as("hierarchies of %s", layout.describe()).hasSize(layout.version() == CgroupVersion.V2 ? 1 : new TreeSet<>(layout.hierarchies().values()).size());
        dirs.forEach((hierarchy, found) -> assertThat(found).as("cgroups in %s", hierarchy).containsExactlyInAnyOrderElementsOf(cgroups));
        for (Cgroup c : realized) {
            c.files().forEach((file, value) -> assertThat(LiveSandbox.read(GuestKills.fileOf(layout, c.path(), file))).as("%s %s", c.path(), file)
                    .isEqualTo(value));
        }
    }
}
