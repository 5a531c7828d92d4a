package io.qfence.platform.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * cgroup v1 on the real kernel (these machines mount every controller as v1), in a private subtree
 * {@code qfence-test-<random>} of each hierarchy, removed afterwards. Witness: the cgroup files read directly.
 */
@RequiresHost(files = {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/pids"})
class CgroupFsV1Test {

    private CgroupFs fs;
    private String base;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void createSubtree() {
        fs = new CgroupFs(CgroupLayout.detect());
        base = "qfence-test-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void removeSubtree() throws Exception {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        fs.remove(base);
        for (Path dir : fs.directories(base)) {
            assertThat(dir).doesNotExist();
        }
    }

    private static Cgroup v1(String address, String path, Map<String, String> files) {
        return new Cgroup(address, path, CgroupVersion.V1, new TreeMap<>(files));
    }

    private Cgroup group(String quota) {
        return v1("group.web/cgroup", base + "/web", Map.of(
                "cpu/cpu.shares", "2048",
                "cpu/cpu.cfs_period_us", "100000",
                "cpu/cpu.cfs_quota_us", quota,
                "memory/memory.limit_in_bytes", "1073741824",
                "pids/pids.max", "512"));
    }

    private Cgroup vm(String quota, String memory) {
        return v1("group.web/vm.web-01/cgroup", base + "/web/web-01", Map.of(
                "blkio/blkio.bfq.weight", "500",
                "cpu/cpu.shares", "1024",
                "cpu/cpu.cfs_period_us", "100000",
                "cpu/cpu.cfs_quota_us", quota,
                "memory/memory.limit_in_bytes", memory,
                "pids/pids.max", "64"));
    }

    private Path dir(String controller, String path) {
        return fs.layout().hierarchies().get(controller).resolve(path);
    }

    private String witness(String controller, String path, String file) throws Exception {
        return Files.readString(dir(controller, path).resolve(file)).strip();
    }

    @Test
    void thisHostIsDetectedAsV1WithEachControllerInItsOwnHierarchy() {
        assertThat(fs.layout().version()).isEqualTo(CgroupVersion.V1);
        assertThat(fs.layout().hierarchies()).containsEntry("memory", Path.of("/sys/fs/cgroup/memory"))
                .containsEntry("cpu", Path.of("/sys/fs/cgroup/cpu")).containsEntry("pids", Path.of("/sys/fs/cgroup/pids"));
    }

    @Test
    void aGroupAndItsVmAreCreatedInEveryHierarchyWithTheirLimitsAndReadBack() throws Exception {
        Cgroup group = group("200000");
        Cgroup vm = vm("50000", "335544320");
        List<CgroupFs.Written> results = fs.applyAll(List.of(vm, group));

        for (Path d : fs.directories(vm.path())) {
            assertThat(d).isDirectory();
        }
        assertThat(witness("memory", vm.path(), "memory.limit_in_bytes")).isEqualTo("335544320");
        assertThat(witness("cpu", vm.path(), "cpu.cfs_quota_us")).isEqualTo("50000");
        assertThat(witness("cpu", group.path(), "cpu.shares")).isEqualTo("2048");
        assertThat(witness("pids", vm.path(), "pids.max")).isEqualTo("64");

        // blkio.bfq.weight exists only under the BFQ I/O scheduler; here it may not: then it is unsupported
        boolean weights = Files.exists(dir("blkio", vm.path()).resolve("blkio.bfq.weight"));
        assertThat(results.get(1).unsupported()).isEqualTo(weights ? List.of() : List.of("blkio/blkio.bfq.weight"));
        Cgroup expected = weights ? vm : v1(vm.address(), vm.path(), without(vm.files(), "blkio/blkio.bfq.weight"));
        assertThat(fs.observe(vm.address(), vm.path())).contains(expected);
        assertThat(fs.read(group.address(), group.path(), group.files().keySet())).contains(group);
        assertThat(fs.list(base)).containsExactly(base + "/web", base + "/web/web-01");
    }

    @Test
    void listingToADepthStopsBelowItInEveryHierarchy() throws Exception {
        fs.applyAll(List.of(group("200000"), vm("50000", "335544320")));
        Files.createDirectory(dir("pids", base + "/web/web-01").resolve("inner"));

        assertThat(fs.list(base)).containsExactly(base + "/web", base + "/web/web-01", base + "/web/web-01/inner");
        assertThat(fs.list(base, 2)).containsExactly(base + "/web", base + "/web/web-01");
        assertThat(fs.list(base, 1)).containsExactly(base + "/web");
    }

    @Test
    void aHandEditIsSeenAsDriftAndTheNextApplyRewritesOnlyThatFile() throws Exception {
        Cgroup vm = vm("50000", "335544320");
        fs.applyAll(List.of(group("200000"), vm));
        assertThat(fs.apply(vm).written()).isEmpty();

        Files.writeString(dir("memory", vm.path()).resolve("memory.limit_in_bytes"), "268435456");
        assertThat(fs.read(vm.address(), vm.path(), vm.files().keySet()).orElseThrow().files())
                .containsEntry("memory/memory.limit_in_bytes", "268435456");

        assertThat(fs.apply(vm).written()).containsExactly("memory/memory.limit_in_bytes");
        assertThat(witness("memory", vm.path(), "memory.limit_in_bytes")).isEqualTo("335544320");
    }

    @Test
    void theKernelsReadBackFormIsWhatReadReports() {
        Cgroup odd = v1("a", base + "/odd", Map.of("memory/memory.limit_in_bytes", "100000001", "cpu/cpu.shares", "1"));
        fs.apply(odd);
        // rounded down to the page size, and raised to the minimum share: a realizer must emit these forms
        assertThat(fs.read("a", odd.path(), odd.files().keySet()).orElseThrow().files())
                .containsEntry("memory/memory.limit_in_bytes", "99999744").containsEntry("cpu/cpu.shares", "2");
    }

    @Test
    void cpuQuotasAreLoweredChildrenFirstAndRaisedParentsFirst() throws Exception {
        fs.applyAll(List.of(group("200000"), vm("100000", "335544320")));

        // the kernel refuses a parent quota below its child's
        assertThatThrownBy(() -> fs.apply(group("50000"))).isInstanceOfSatisfying(CgroupException.class, e -> {
            assertThat(e.errno()).isEqualTo(22);
            assertThat(e.path()).isEqualTo(dir("cpu", base + "/web").resolve("cpu.cfs_quota_us"));
        });

        fs.applyAll(List.of(group("50000"), vm("25000", "335544320")));
        assertThat(witness("cpu", base + "/web", "cpu.cfs_quota_us")).isEqualTo("50000");
        assertThat(witness("cpu", base + "/web/web-01", "cpu.cfs_quota_us")).isEqualTo("25000");

        fs.applyAll(List.of(vm("300000", "335544320"), group("400000")));
        assertThat(witness("cpu", base + "/web", "cpu.cfs_quota_us")).isEqualTo("400000");
        assertThat(witness("cpu", base + "/web/web-01", "cpu.cfs_quota_us")).isEqualTo("300000");
    }

    @Test
    void periodAndQuotaChangeInTheOrderThatNeverExceedsTheParent() throws Exception {
        fs.applyAll(List.of(group("50000"), vm("50000", "335544320")));
        // same ratio (half a CPU), longer period: quota first would pass through 100000/100000, above the parent
        Cgroup longer = v1("b", base + "/web/web-01", Map.of("cpu/cpu.cfs_period_us", "200000", "cpu/cpu.cfs_quota_us", "100000"));
        assertThat(fs.writeOrder(longer)).containsExactly("cpu/cpu.cfs_period_us", "cpu/cpu.cfs_quota_us");
        fs.apply(longer);
        assertThat(witness("cpu", longer.path(), "cpu.cfs_period_us")).isEqualTo("200000");
        assertThat(witness("cpu", longer.path(), "cpu.cfs_quota_us")).isEqualTo("100000");

        // and back: period first would pass through 100000/100000
        Cgroup shorter = v1("b", base + "/web/web-01", Map.of("cpu/cpu.cfs_period_us", "100000", "cpu/cpu.cfs_quota_us", "50000"));
        assertThat(fs.writeOrder(shorter)).containsExactly("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us");
        fs.apply(shorter);
        assertThat(witness("cpu", shorter.path(), "cpu.cfs_period_us")).isEqualTo("100000");
        assertThat(witness("cpu", shorter.path(), "cpu.cfs_quota_us")).isEqualTo("50000");
    }

    @Test
    void aProcessMovedInIsListedAndKeepsItsCgroupUntilItExits() throws Exception {
        Cgroup vm = vm("50000", "335544320");
        fs.applyAll(List.of(group("200000"), vm));
        Process sleeper = start("sleep", "60");

        fs.movePid(vm.path(), sleeper.pid());

        assertThat(fs.pids(vm.path())).containsExactly(sleeper.pid());
        assertThat(Files.readString(Path.of("/proc/" + sleeper.pid() + "/cgroup")))
                .contains(":memory:/" + vm.path() + "\n").contains(":cpu:/" + vm.path() + "\n").contains(":pids:/" + vm.path() + "\n");
        assertThat(fs.cgroupOf(sleeper.pid())).contains(vm.path());
        assertThatThrownBy(() -> fs.remove(base)).isInstanceOfSatisfying(CgroupException.class, e -> {
            assertThat(e.errno()).isEqualTo(16);
            assertThat(e.operation()).isEqualTo("rmdir");
        });

        sleeper.destroy();
        sleeper.waitFor(10, TimeUnit.SECONDS);
        fs.remove(base + "/web");
        assertThat(fs.exists(vm.path())).isFalse();
        assertThat(fs.list(base)).isEmpty();
    }

    @Test
    void anOomKillIsCounted() throws Exception {
        Cgroup vm = vm("100000", "16777216");
        fs.applyAll(List.of(group("200000"), vm));
        assertThat(fs.oomKills(vm.path())).hasValue(0);

        // like qfence's launcher: the process joins its cgroup first, then execs the program that allocates
        Path procs = dir("memory", vm.path()).resolve("cgroup.procs");
        Process hog = start("sh", "-c", "echo $$ > " + procs + " && exec dd if=/dev/zero of=/dev/null bs=64M count=1");
        assertThat(hog.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(hog.exitValue()).isEqualTo(128 + 9);
        assertThat(fs.oomKills(vm.path())).hasValue(1);
    }

    @Test
    void theOomKillLineOfEitherVersionIsParsed() {
        assertThat(CgroupFs.parseOomKills("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")).hasValue(3);
        assertThat(CgroupFs.parseOomKills("low 0\nhigh 2\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n")).hasValue(1);
        assertThat(CgroupFs.parseOomKills("oom_kill_disable 0\nunder_oom 0\n")).isEmpty();
    }

    private Process start(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    private static Map<String, String> without(Map<String, String> files, String key) {
        Map<String, String> m = new TreeMap<>(files);
        m.remove(key);
        return m;
    }
}
