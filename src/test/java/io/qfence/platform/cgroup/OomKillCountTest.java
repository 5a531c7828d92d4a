package io.qfence.platform.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.CgroupVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OOM-kill count of a VM cgroup, the one place qfence reads it (observation reports it with each guest): from
 * {@code oom_kill} of v2 {@code memory.events} or of v1 {@code memory.oom_control} (Linux 4.13 and later), as the
 * kernel prints them. Files are plain files under a temporary root, laid out as each version lays them out.
 */
class OomKillCountTest {

    @TempDir
    Path root;

    @Test
    void v2ReadsOomKillFromMemoryEventsAndNotTheOomLine() {
        assertThat(CgroupFs.parseOomKills("low 0\nhigh 12\nmax 40\noom 3\noom_kill 2\noom_group_kill 0\n")).hasValue(2);
    }

    @Test
    void v1ReadsOomKillFromMemoryOomControl() {
        assertThat(CgroupFs.parseOomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n")).hasValue(7);
    }

    @Test
    void aV1KernelBefore413HasNoCountAndNothingIsMadeUp() {
        assertThat(CgroupFs.parseOomKills("oom_kill_disable 0\nunder_oom 0\n")).isEmpty();
    }

    @Test
    void aValueThatIsNotACountIsNoCount() {
        assertThat(CgroupFs.parseOomKills("oom_kill many\n")).isEmpty();
        assertThat(CgroupFs.parseOomKills("oom_kill -1\n")).isEmpty();
        assertThat(CgroupFs.parseOomKills("")).isEmpty();
    }

    @Test
    void onV2TheCountComesFromTheCgroupsMemoryEvents() throws IOException {
        Path vm = Files.createDirectories(root.resolve("qfence/web/vm-1"));
        Files.writeString(vm.resolve("memory.events"), "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n");
        // a v1 file in a v2 cgroup would be a lie about the layout: it is never read there
        Files.writeString(vm.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n");
        CgroupFs fs = new CgroupFs(new CgroupLayout(CgroupVersion.V2, root, Map.of("memory", root, "pids", root), Set.of()), CgroupTree.KERNEL);

        assertThat(fs.oomKills("qfence/web/vm-1")).isEqualTo(OptionalLong.of(1));
        assertThat(fs.oomKills("qfence/web/vm-2")).as("no such cgroup").isEmpty();
    }

    @Test
    void onV1TheCountComesFromTheMemoryHierarchysOomControl() throws IOException {
        Path vm = Files.createDirectories(root.resolve("memory/qfence/web/vm-1"));
        Files.createDirectories(root.resolve("pids/qfence/web/vm-1"));
        Files.writeString(vm.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
        CgroupLayout layout = new CgroupLayout(CgroupVersion.V1, root, Map.of("memory", root.resolve("memory"), "pids", root.resolve("pids")), Set.of());

        assertThat(new CgroupFs(layout, CgroupTree.KERNEL).oomKills("qfence/web/vm-1")).isEqualTo(OptionalLong.of(4));
    }

    @Test
    void withoutAMemoryControllerTheHostCannotTell() throws IOException {
        Files.createDirectories(root.resolve("pids/qfence/web/vm-1"));
        CgroupLayout layout = new CgroupLayout(CgroupVersion.V1, root, Map.of("pids", root.resolve("pids")), Set.of("memory"));

        assertThat(new CgroupFs(layout, CgroupTree.KERNEL).oomKills("qfence/web/vm-1")).isEmpty();
    }
}
