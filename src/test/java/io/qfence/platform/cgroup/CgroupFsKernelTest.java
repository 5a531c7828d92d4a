package io.qfence.platform.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import io.qfence.testing.BothCgroupLayouts;
import io.qfence.testing.CgroupHost;
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
 * qfence's cgroup adapter on the real kernel, in whichever layout this host has ({@link CgroupHost}: v1 hierarchies on
 * the test machines, the unified v2 hierarchy in the production-kernel lab, which runs this class too), in a private
 * subtree {@code qfence-test-<random>}, removed afterwards. Every case names its limit files in the host's version
 * ({@link Limits}); the two cases about v1's CFS quota order do not exist on v2 and say so. Witness: the cgroup files
 * read directly.
 */
@RequiresHost(cgroups = true)
@BothCgroupLayouts
class CgroupFsKernelTest {

    private CgroupFs fs;
    private String base;
    private final List<Process> started = new ArrayList<>();
    private final Limits limits = Limits.of(CgroupHost.version());

    @BeforeEach
    void createSubtree() {
        fs = CgroupHost.fs();
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

    /**
     * The limit files of one cgroup version, as {@link Cgroup#files()} names them, and how each takes a value: the
     * cases below are written once and say the same thing on both layouts.
     */
    record Limits(CgroupVersion version, String memory, String pids, String cpuWeight, String ioWeight) {

        static Limits of(CgroupVersion v) {
            return v == CgroupVersion.V2
                    ? new Limits(v, "memory.max", "pids.max", "cpu.weight", "io.weight")
                    : new Limits(v, "memory/memory.limit_in_bytes", "pids/pids.max", "cpu/cpu.shares", "blkio/blkio.bfq.weight");
        }

        /** A CPU quota per 100 ms period: v1 two files, v2 one ({@code cpu.max} "QUOTA PERIOD"). */
        Map<String, String> quota(String quotaUs) {
            return version == CgroupVersion.V2 ? Map.of("cpu.max", quotaUs + " 100000")
                    : Map.of("cpu/cpu.cfs_period_us", "100000", "cpu/cpu.cfs_quota_us", quotaUs);
        }

        String cpuWeight(int v1Shares) {
            return version == CgroupVersion.V2 ? Integer.toString(v1Shares / 10) : Integer.toString(v1Shares);
        }

        String ioWeight(int weight) {
            return version == CgroupVersion.V2 ? "default " + weight : Integer.toString(weight);
        }
    }

    private Cgroup cgroup(String address, String path, Map<String, String> files) {
        return new Cgroup(address, path, limits.version(), new TreeMap<>(files));
    }

    private Cgroup group(String quota) {
        Map<String, String> files = new TreeMap<>(limits.quota(quota));
        files.put(limits.cpuWeight(), limits.cpuWeight(2048));
        files.put(limits.memory(), "1073741824");
        files.put(limits.pids(), "512");
        return cgroup("group.web/cgroup", base + "/web", files);
    }

    private Cgroup vm(String quota, String memory) {
        Map<String, String> files = new TreeMap<>(limits.quota(quota));
        files.put(limits.ioWeight(), limits.ioWeight(500));
        files.put(limits.cpuWeight(), limits.cpuWeight(1024));
        files.put(limits.memory(), memory);
        files.put(limits.pids(), "64");
        return cgroup("group.web/vm.web-01/cgroup", base + "/web/web-01", files);
    }

    private static Path dir(String controller, String path) {
        return CgroupHost.dir(controller, path);
    }

    private static String witness(String path, String file) throws Exception {
        return Files.readString(CgroupHost.file(path, file)).strip();
    }

    @Test
    void thisHostsLayoutIsDetectedWithEveryControllerQfenceNeeds() throws Exception {
        CgroupLayout layout = fs.layout();
        assertThat(layout.hierarchies().keySet()).containsAll(List.of("cpu", "memory", "pids"));
        if (layout.version() == CgroupVersion.V2) {
            // one unified hierarchy: every controller's files are in the cgroup's own directory, listed by the root
            assertThat(layout.hierarchies().values()).containsOnly(Path.of("/sys/fs/cgroup"));
            assertThat(Files.readString(Path.of("/sys/fs/cgroup/cgroup.controllers")).split("\\s+"))
                    .contains("cpu", "memory", "pids");
        } else {
            // a hierarchy per controller (cpu possibly shared with cpuacct), each a v1 cgroup mount
            assertThat(layout.hierarchies()).containsEntry("memory", Path.of("/sys/fs/cgroup/memory"))
                    .containsEntry("pids", Path.of("/sys/fs/cgroup/pids"));
            assertThat(layout.hierarchies().get("cpu")).isIn(Path.of("/sys/fs/cgroup/cpu"), Path.of("/sys/fs/cgroup/cpu,cpuacct"));
            assertThat(dir("memory", "")).isNotEqualTo(dir("pids", ""));
        }
    }

    @Test
    void aGroupAndItsVmAreCreatedInEveryHierarchyWithTheirLimitsAndReadBack() throws Exception {
        Cgroup group = group("200000");
        Cgroup vm = vm("50000", "335544320");
        List<CgroupFs.Written> results = fs.applyAll(List.of(vm, group));

        for (Path d : fs.directories(vm.path())) {
            assertThat(d).isDirectory();
        }
        assertThat(witness(vm.path(), limits.memory())).isEqualTo("335544320");
        limits.quota("50000").forEach((file, value) -> assertThat(uncheckedWitness(vm.path(), file)).isEqualTo(value));
        assertThat(witness(group.path(), limits.cpuWeight())).isEqualTo(limits.cpuWeight(2048));
        assertThat(witness(vm.path(), limits.pids())).isEqualTo("64");

        // the I/O weight file exists only with a weighting I/O scheduler or controller; where it does not, it is
        // reported unsupported, not failed
        boolean weights = Files.exists(CgroupHost.file(vm.path(), limits.ioWeight()));
        assertThat(results.get(1).unsupported()).isEqualTo(weights ? List.of() : List.of(limits.ioWeight()));
        Cgroup expected = weights ? vm : cgroup(vm.address(), vm.path(), without(vm.files(), limits.ioWeight()));
        assertThat(fs.read(vm.address(), vm.path(), vm.files().keySet())).contains(expected);
        assertThat(fs.read(group.address(), group.path(), group.files().keySet())).contains(group);
        assertThat(fs.list(base)).containsExactly(base + "/web", base + "/web/web-01");
        if (limits.version() == CgroupVersion.V2) {
            // v2 hands a controller to a child only through its parent's subtree_control: the adapter enabled them
            assertThat(Files.readString(dir("memory", group.path()).resolve(CgroupFs.SUBTREE_CONTROL)).split("\\s+"))
                    .contains("cpu", "memory", "pids");
        }
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

        Files.writeString(CgroupHost.file(vm.path(), limits.memory()), "268435456");
        assertThat(fs.read(vm.address(), vm.path(), vm.files().keySet()).orElseThrow().files())
                .containsEntry(limits.memory(), "268435456");

        assertThat(fs.apply(vm).written()).containsExactly(limits.memory());
        assertThat(witness(vm.path(), limits.memory())).isEqualTo("335544320");
    }

    @Test
    void theKernelsReadBackFormIsWhatReadReports() {
        Cgroup odd = cgroup("a", base + "/odd", Map.of(limits.memory(), "100000001", limits.cpuWeight(), "1"));
        fs.apply(odd);
        // a memory limit is rounded down to the page size on both; v1 raises cpu.shares to its minimum of 2, while
        // v2's cpu.weight takes 1 as it is: a realizer must emit the read-back forms
        assertThat(fs.read("a", odd.path(), odd.files().keySet()).orElseThrow().files())
                .containsEntry(limits.memory(), "99999744")
                .containsEntry(limits.cpuWeight(), limits.version() == CgroupVersion.V2 ? "1" : "2");
    }

    @Test
    void cpuQuotasAreLoweredChildrenFirstAndRaisedParentsFirst() throws Exception {
        CgroupHost.assumeVersion(CgroupVersion.V1, "cgroup v2 accepts a parent's cpu.max below its child's (the lower one "
                + "rules), so there is no order to keep; this case is v1's cpu.cfs_quota_us");
        fs.applyAll(List.of(group("200000"), vm("100000", "335544320")));

        // the kernel refuses a parent quota below its child's
        assertThatThrownBy(() -> fs.apply(group("50000"))).isInstanceOfSatisfying(CgroupException.class, e -> {
            assertThat(e.errno()).isEqualTo(22);
            assertThat(e.path()).isEqualTo(dir("cpu", base + "/web").resolve("cpu.cfs_quota_us"));
        });

        fs.applyAll(List.of(group("50000"), vm("25000", "335544320")));
        assertThat(witness(base + "/web", "cpu/cpu.cfs_quota_us")).isEqualTo("50000");
        assertThat(witness(base + "/web/web-01", "cpu/cpu.cfs_quota_us")).isEqualTo("25000");

        fs.applyAll(List.of(vm("300000", "335544320"), group("400000")));
        assertThat(witness(base + "/web", "cpu/cpu.cfs_quota_us")).isEqualTo("400000");
        assertThat(witness(base + "/web/web-01", "cpu/cpu.cfs_quota_us")).isEqualTo("300000");
    }

    @Test
    void periodAndQuotaChangeInTheOrderThatNeverExceedsTheParent() throws Exception {
        CgroupHost.assumeVersion(CgroupVersion.V1, "cgroup v2 writes quota and period together in one cpu.max line; "
                + "this case is the order of v1's two files");
        fs.applyAll(List.of(group("50000"), vm("50000", "335544320")));
        // same ratio (half a CPU), longer period: quota first would pass through 100000/100000, above the parent
        Cgroup longer = cgroup("b", base + "/web/web-01", Map.of("cpu/cpu.cfs_period_us", "200000", "cpu/cpu.cfs_quota_us", "100000"));
        assertThat(fs.writeOrder(longer)).containsExactly("cpu/cpu.cfs_period_us", "cpu/cpu.cfs_quota_us");
        fs.apply(longer);
        assertThat(witness(longer.path(), "cpu/cpu.cfs_period_us")).isEqualTo("200000");
        assertThat(witness(longer.path(), "cpu/cpu.cfs_quota_us")).isEqualTo("100000");

        // and back: period first would pass through 100000/100000
        Cgroup shorter = cgroup("b", base + "/web/web-01", Map.of("cpu/cpu.cfs_period_us", "100000", "cpu/cpu.cfs_quota_us", "50000"));
        assertThat(fs.writeOrder(shorter)).containsExactly("cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us");
        fs.apply(shorter);
        assertThat(witness(shorter.path(), "cpu/cpu.cfs_period_us")).isEqualTo("100000");
        assertThat(witness(shorter.path(), "cpu/cpu.cfs_quota_us")).isEqualTo("50000");
    }

    @Test
    void aProcessMovedInIsListedAndKeepsItsCgroupUntilItExits() throws Exception {
        Cgroup vm = vm("50000", "335544320");
        fs.applyAll(List.of(group("200000"), vm));
        Process sleeper = start("sleep", "60");

        fs.movePid(vm.path(), sleeper.pid());

        assertThat(fs.pids(vm.path())).containsExactly(sleeper.pid());
        String procCgroup = Files.readString(Path.of("/proc/" + sleeper.pid() + "/cgroup"));
        if (limits.version() == CgroupVersion.V2) {
            // one line for the unified hierarchy: hierarchy 0, no controller list
            assertThat(procCgroup).contains("0::/" + vm.path() + "\n");
        } else {
            assertThat(procCgroup).contains(":memory:/" + vm.path() + "\n").containsPattern(":cpu[,a-z]*:/" + vm.path() + "\n")
                    .contains(":pids:/" + vm.path() + "\n");
        }
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

    private static String uncheckedWitness(String path, String file) {
        try {
            return witness(path, file);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
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
