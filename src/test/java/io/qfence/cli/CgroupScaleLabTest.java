package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.testing.ProductionKernel;
import io.qfence.testing.RequiresHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A generated fleet of 100 VMs in 20 groups ({@link GeneratedFleet}) on the lab's real cgroup v2 (issue 14): the real
 * CLI ({@code apply --scope cgroups}) puts 120 cgroups under a parent that does not exist yet, so qfence makes the
 * parent and enables the controllers on the way down itself. Read back directly from cgroupfs: every realized file
 * holds its value; {@code cgroup.subtree_control} enables exactly {@code cpu io memory pids} in the parent and in each
 * group, and nothing in a VM's cgroup (a leaf: QEMU lives there); nothing else exists under the parent; the next plan
 * is empty; an empty desired state removes all 120. No guest runs: the cgroups and their limits are what is checked.
 */
@ProductionKernel
@RequiresHost(files = {"/sys/fs/cgroup/cgroup.controllers"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CgroupScaleLabTest {

    static final Path ROOT = Path.of("/sys/fs/cgroup");
    static final Set<String> NEEDED = Set.of("cpu", "io", "memory", "pids");

    private final String parent = "qfence-fleet-" + UUID.randomUUID().toString().substring(0, 8);
    private Path desired;
    private Path stateDir;

    @BeforeAll
    void aFleetOfAHundredVms() throws Exception {
        assertThat(CgroupLayout.detect().version()).isEqualTo(CgroupVersion.V2);
        LabHost.loadBrNetfilter(); // the fleet's VMs are bridged: realization refuses them without it, whatever the scope
        desired = Files.createTempDirectory("qfence-fleet-desired");
        stateDir = Files.createTempDirectory("qfence-fleet-state");
        GeneratedFleet.write(desired, 20, 5, parent);
    }

    @AfterAll
    void removeEverything() throws IOException {
        CgroupV2LabTest.removeCgroups(ROOT.resolve(parent));
        CgroupV2LabTest.deleteTree(desired);
        CgroupV2LabTest.deleteTree(stateDir);
    }

    @Test
    @Order(1)
    void applyWritesEveryLimitOfAHundredVmsAndTheNextPlanIsEmpty() throws IOException {
        assertThat(ROOT.resolve(parent)).doesNotExist();
        long start = System.nanoTime();
        CliRun apply = cli("apply", "--auto-approve");
        long applyMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(apply.exitCode()).as("apply:\n%s\n%s", apply.out(), apply.err()).isZero();

        List<Cgroup> realized = realized();
        assertThat(realized).hasSize(120);
        int files = 0;
        for (Cgroup c : realized) {
            Path dir = ROOT.resolve(c.path());
            assertThat(dir).as(c.address()).isDirectory();
            for (var f : c.files().entrySet()) {
                assertThat(CgroupV2LabTest.read(dir.resolve(f.getKey()))).as("%s %s", c.path(), f.getKey()).isEqualTo(f.getValue());
                files++;
            }
        }
        assertThat(realized).flatExtracting(c -> c.files().keySet())
                .contains("cpu.max", "memory.max", "memory.high", "pids.max", "io.weight");
        try (Stream<Path> all = Files.walk(ROOT.resolve(parent))) {
            assertThat(all.filter(Files::isDirectory).filter(d -> !d.equals(ROOT.resolve(parent))).map(d -> ROOT.relativize(d).toString()))
                    .as("nothing but the realized cgroups under %s", parent)
                    .containsExactlyInAnyOrderElementsOf(realized.stream().map(Cgroup::path).toList());
        }

        start = System.nanoTime();
        CliRun plan = cli("plan");
        long planMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(plan.exitCode()).as("plan after apply:\n%s\n%s", plan.out(), plan.err()).isZero();
        System.out.printf("MEASURE 100-VM fleet on cgroup v2: apply %d ms (120 cgroups, %d files read back), plan %d ms%n", applyMs, files, planMs);
    }

    @Test
    @Order(2)
    void subtreeControlEnablesTheControllersInTheParentAndTheGroupsAndNothingInAVm() {
        assertThat(words(CgroupV2LabTest.read(ROOT.resolve(parent).resolve("cgroup.subtree_control")))).as("the parent qfence made")
                .isEqualTo(NEEDED);
        assertThat(words(CgroupV2LabTest.read(ROOT.resolve("cgroup.subtree_control")))).as("the root").containsAll(NEEDED);
        for (Cgroup c : realized()) {
            boolean vm = c.address().contains("/vm.");
            Path dir = ROOT.resolve(c.path());
            assertThat(words(CgroupV2LabTest.read(dir.resolve("cgroup.subtree_control")))).as("%s subtree_control", c.path())
                    .isEqualTo(vm ? Set.of() : NEEDED);
            assertThat(words(CgroupV2LabTest.read(dir.resolve("cgroup.controllers")))).as("%s controllers", c.path()).isEqualTo(NEEDED);
        }
    }

    @Test
    @Order(3)
    void anEmptyDesiredStateRemovesEveryCgroupOfTheFleet() throws IOException {
        GeneratedFleet.empty(desired);
        long start = System.nanoTime();
        CliRun apply = cli("apply", "--auto-approve");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(apply.exitCode()).as("apply of nothing:\n%s\n%s", apply.out(), apply.err()).isZero();
        try (Stream<Path> left = Files.list(ROOT.resolve(parent))) {
            assertThat(left.filter(Files::isDirectory)).as("cgroups left under %s", parent).isEmpty();
        }
        assertThat(cli("plan").exitCode()).isZero();
        System.out.printf("MEASURE 100-VM fleet on cgroup v2: teardown of 120 cgroups %d ms%n", ms);
    }

    private CliRun cli(String command, String... more) {
        List<String> args = new ArrayList<>(List.of(command, "--scope", "cgroups", "--state-dir", stateDir.toString(), "--dir", desired.toString()));
        args.addAll(Arrays.asList(more));
        return CliRun.live(args.toArray(String[]::new));
    }

    /** The fleet's cgroups as the realizer makes them for a v2 host: the expected side of the witness. */
    private List<Cgroup> realized() {
        return CgroupV2LabTest.realizedCgroups(desired, GeneratedFleet.HOST);
    }

    private static Set<String> words(String s) {
        return CgroupV2LabTest.words(s);
    }
}
