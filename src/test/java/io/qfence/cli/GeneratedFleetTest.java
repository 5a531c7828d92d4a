package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Cgroup;
import io.qfence.model.host.HostFacts;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated 100-VM fleet the lab applies on cgroup v2 (CgroupScaleLabTest) is valid and realizes what it needs. */
class GeneratedFleetTest {

    @TempDir
    Path dir;

    @Test
    void aHundredVmsInTwentyGroupsLoadWithoutErrorsAndRealizeOneCgroupEachWithEveryLimitFile() throws IOException {
        GeneratedFleet.write(dir, 20, 5, "qfence-fleet");

        var loaded = DesiredStateLoader.loadDirectory(dir, CliRun.TODAY);
        assertThat(loaded.errors()).isEmpty();
        List<Cgroup> cgroups = Realizer.realize(loaded.state().orElseThrow(), GeneratedFleet.HOST, HostFacts.TYPICAL, LocalDate.of(2026, 6, 1))
                .objects(Cgroup.class);

        assertThat(cgroups).hasSize(120).allMatch(c -> c.path().startsWith("qfence-fleet/"));
        assertThat(cgroups.stream().filter(c -> c.address().contains("/vm.")).count()).isEqualTo(100);
        assertThat(cgroups).flatExtracting(c -> c.files().keySet())
                .contains("cpu.max", "cpu.weight", "memory.max", "memory.high", "pids.max", "io.weight", "cgroup.subtree_control");
        assertThat(cgroups.stream().map(c -> c.files().get("memory.max")).distinct().count()).as("limits vary").isGreaterThan(10);
    }

    @Test
    void theEmptiedFleetLoadsWithoutErrorsAndRealizesNoCgroup() throws IOException {
        GeneratedFleet.write(dir, 20, 5, "qfence-fleet");
        GeneratedFleet.empty(dir);

        var loaded = DesiredStateLoader.loadDirectory(dir, CliRun.TODAY);
        assertThat(loaded.errors()).isEmpty();
        assertThat(Realizer.realize(loaded.state().orElseThrow(), GeneratedFleet.HOST, HostFacts.TYPICAL, LocalDate.of(2026, 6, 1))
                .objects(Cgroup.class)).isEmpty();
    }
}
