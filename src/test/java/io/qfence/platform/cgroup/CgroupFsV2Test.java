package io.qfence.platform.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cgroup v2 against {@link FakeCgroup2Tree}: these machines have no controllers on cgroup2, so the v2 code cannot run
 * against the real kernel here (see the fake's comment for the rules it enforces). The files are read back directly
 * from the temporary directory as the witness.
 */
class CgroupFsV2Test {

    @TempDir
    Path dir;

    private FakeCgroup2Tree tree;
    private CgroupFs fs;

    private void host(String... controllers) {
        Path root = dir.resolve("cgroup");
        try {
            Files.createDirectories(root);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        tree = new FakeCgroup2Tree(root, controllers);
        fs = new CgroupFs(CgroupLayout.detect(root, tree.mountinfo(dir)), tree);
    }

    private static Cgroup cgroup(String address, String path, Map<String, String> files) {
        return new Cgroup(address, path, CgroupVersion.V2, new TreeMap<>(files));
    }

    private static final Cgroup GROUP = cgroup("group.web/cgroup", "qfence.slice/web", Map.of(
            "cgroup.subtree_control", "cpu io memory pids",
            "cpu.weight", "200",
            "memory.max", "1073741824",
            "pids.max", "512"));

    private static final Cgroup VM = cgroup("group.web/vm.web-01/cgroup", "qfence.slice/web/web-01", Map.of(
            "cpu.max", "50000 100000",
            "cpu.weight", "100",
            "io.weight", "default 100",
            "memory.high", "318767104",
            "memory.max", "335544320",
            "memory.swap.max", "0",
            "pids.max", "64"));

    private String file(String path, String name) throws Exception {
        return Files.readString(tree.root.resolve(path).resolve(name));
    }

    @Test
    void aCgroup2RootWithTheControllersIsDetectedAsV2() {
        host("cpuset", "cpu", "io", "memory", "pids");
        assertThat(fs.layout().version()).isEqualTo(CgroupVersion.V2);
        assertThat(fs.layout().hierarchies()).containsOnlyKeys("cpu", "io", "memory", "pids").allSatisfy((c, p) -> assertThat(p).isEqualTo(tree.root));
        assertThat(fs.layout().missing()).isEmpty();
    }

    @Test
    void aControllerTheRootDoesNotOfferIsReportedMissing() {
        host("cpu", "memory", "pids");
        assertThat(fs.layout().missing()).containsExactly("io");
        assertThat(fs.layout().describe()).contains("io: not available");
    }

    @Test
    void aGroupAndItsVmAreCreatedWithTheirLimitsAndReadBackVerbatim() throws Exception {
        host("cpuset", "cpu", "io", "memory", "pids");
        assertThat(fs.applyAll(List.of(VM, GROUP))).allSatisfy(w -> assertThat(w.unsupported()).isEmpty());

        // witness: the files themselves
        assertThat(file("", "cgroup.subtree_control")).isEqualTo("cpu io memory pids\n");
        assertThat(file("qfence.slice", "cgroup.subtree_control")).isEqualTo("cpu io memory pids\n");
        assertThat(file("qfence.slice/web", "cgroup.subtree_control")).isEqualTo("cpu io memory pids\n");
        assertThat(file("qfence.slice/web", "memory.max")).isEqualTo("1073741824\n");
        assertThat(file("qfence.slice/web/web-01", "cpu.max")).isEqualTo("50000 100000\n");
        assertThat(file("qfence.slice/web/web-01", "memory.swap.max")).isEqualTo("0\n");

        assertThat(fs.read(GROUP.address(), GROUP.path(), GROUP.files().keySet())).contains(GROUP);
        assertThat(fs.observe(VM.address(), VM.path())).contains(VM);
        // observe reads every managed file: what the group leaves unset reads as the kernel's default
        assertThat(fs.observe(GROUP.address(), GROUP.path()).orElseThrow().files())
                .containsEntry("cpu.max", "max 100000").containsEntry("memory.high", "max").containsEntry("io.weight", "default 100")
                .containsEntry("cgroup.subtree_control", "cpu io memory pids");
        assertThat(fs.list("qfence.slice")).containsExactly("qfence.slice/web", "qfence.slice/web/web-01");
    }

    @Test
    void aVmAppliedAloneGetsItsControllersEnabledInEveryParentFirst() throws Exception {
        host("cpuset", "cpu", "io", "memory", "pids");
        CgroupFs.Written w = fs.apply(VM);
        assertThat(w.unsupported()).isEmpty();
        assertThat(w.written()).containsExactly("pids.max", "cpu.max", "memory.swap.max", "memory.high", "memory.max");
        assertThat(file("qfence.slice/web", "cgroup.subtree_control")).isEqualTo("cpu io memory pids\n");
        assertThat(file("qfence.slice/web/web-01", "memory.max")).isEqualTo("335544320\n");
        // the leaf itself enables nothing (no internal processes: it will hold the VM)
        assertThat(fs.observe(VM.address(), VM.path()).orElseThrow().files()).doesNotContainKey("cgroup.subtree_control");
    }

    @Test
    void applyingAgainWritesNothingAndAHandEditIsSeenAndHealedAlone() throws Exception {
        host("cpuset", "cpu", "io", "memory", "pids");
        fs.applyAll(List.of(GROUP, VM));
        assertThat(fs.apply(VM).written()).isEmpty();

        Files.writeString(tree.root.resolve("qfence.slice/web/web-01/memory.max"), "max\n");
        assertThat(fs.observe(VM.address(), VM.path()).orElseThrow().files()).containsEntry("memory.max", "max");

        assertThat(fs.apply(VM).written()).containsExactly("memory.max");
        assertThat(fs.observe(VM.address(), VM.path())).contains(VM);
    }

    @Test
    void aLimitOfAMissingControllerIsReportedUnsupportedAndTheRestIsWritten() throws Exception {
        host("cpu", "memory", "pids");
        fs.applyAll(List.of(cgroup(GROUP.address(), GROUP.path(), Map.of("cgroup.subtree_control", "cpu memory pids"))));
        CgroupFs.Written w = fs.apply(VM);
        assertThat(w.unsupported()).containsExactly("io.weight");
        assertThat(file("qfence.slice/web/web-01", "pids.max")).isEqualTo("64\n");
        assertThat(fs.observe(VM.address(), VM.path()).orElseThrow().files()).doesNotContainKey("io.weight");
    }

    @Test
    void subtreeControlIsDeclarative() throws Exception {
        host("cpuset", "cpu", "io", "memory", "pids");
        fs.apply(GROUP);
        fs.apply(cgroup(GROUP.address(), GROUP.path(), Map.of("cgroup.subtree_control", "cpu memory")));
        assertThat(file("qfence.slice/web", "cgroup.subtree_control")).isEqualTo("cpu memory\n");
    }

    @Test
    void aValueTheKernelRefusesFailsWithThePathAndErrno() {
        host("cpuset", "cpu", "io", "memory", "pids");
        Cgroup bad = cgroup(VM.address(), VM.path(), Map.of("cpu.weight", "0"));
        assertThatThrownBy(() -> fs.apply(bad)).isInstanceOfSatisfying(CgroupException.class, e -> {
            assertThat(e.errno()).isEqualTo(22);
            assertThat(e.path()).isEqualTo(tree.root.resolve("qfence.slice/web/web-01/cpu.weight"));
            assertThat(e).hasMessage("write '0' to " + e.path() + ": Invalid argument (errno 22)");
        });
    }

    @Test
    void processesAreMovedInAndKeepTheCgroupUntilTheyAreGone() {
        host("cpuset", "cpu", "io", "memory", "pids");
        fs.applyAll(List.of(GROUP, VM));
        fs.movePid(VM.path(), 4242);
        assertThat(fs.pids(VM.path())).containsExactly(4242L);
        assertThatThrownBy(() -> fs.remove("qfence.slice/web")).isInstanceOfSatisfying(CgroupException.class, e -> {
            assertThat(e.errno()).isEqualTo(16);
            assertThat(e.path()).isEqualTo(tree.root.resolve(VM.path()));
        });
    }

    @Test
    void throughThePortACgroupThatStillHasProcessesIsTheModelsHostPortExceptionWithItsErrno() {
        host("cpuset", "cpu", "io", "memory", "pids");
        fs.applyAll(List.of(GROUP, VM));
        fs.movePid(VM.path(), 4242);

        assertThatThrownBy(() -> new CgroupFsPort(fs).delete(GROUP))
                .isInstanceOfSatisfying(io.qfence.model.errors.HostPortException.class, e -> {
                    assertThat(e.port()).isEqualTo(io.qfence.model.errors.HostPortException.Port.CGROUPS);
                    assertThat(e.object()).isEqualTo("cgroup qfence.slice/web");
                    assertThat(e.reason()).isInstanceOfSatisfying(io.qfence.model.errors.HostPortException.Errno.class,
                            errno -> assertThat(errno.number()).isEqualTo(16));
                    assertThat(e.getCause()).isInstanceOf(CgroupException.class);
                });
    }

    @Test
    void removalGoesBottomUpAndIsIdempotent() {
        host("cpuset", "cpu", "io", "memory", "pids");
        fs.applyAll(List.of(GROUP, VM));
        fs.remove("qfence.slice/web");
        assertThat(fs.exists("qfence.slice/web")).isFalse();
        assertThat(fs.exists("qfence.slice")).isTrue();
        fs.remove("qfence.slice/web");
        assertThat(fs.read(VM.address(), VM.path(), Set.of("memory.max"))).isEmpty();
    }

    @Test
    void oomKillsAreReadFromMemoryEvents() {
        host("cpuset", "cpu", "io", "memory", "pids");
        fs.applyAll(List.of(GROUP, VM));
        assertThat(fs.oomKills(VM.path())).isEqualTo(OptionalLong.of(0));
        tree.recordOomKills(tree.root.resolve(VM.path()), 3);
        assertThat(fs.oomKills(VM.path())).isEqualTo(OptionalLong.of(3));
    }

    @Test
    void theUnifiedEntryOfProcPidCgroupNamesAProcessesCgroup() {
        host("cpuset", "cpu", "io", "memory", "pids");
        assertThat(CgroupFs.parseProcCgroup("0::/system.slice/qfence.service\n", fs.layout())).contains("system.slice/qfence.service");
        assertThat(CgroupFs.parseProcCgroup("0::/\n", fs.layout())).contains("");
        assertThat(CgroupFs.parseProcCgroup("4:memory:/x\n", fs.layout())).isEmpty();
    }

    @Test
    void aCgroupRealizedForV1IsRefusedOnAV2Host() {
        host("cpuset", "cpu", "io", "memory", "pids");
        Cgroup v1 = new Cgroup("a", "qfence.slice/web", CgroupVersion.V1, new TreeMap<>(Map.of("memory/memory.limit_in_bytes", "4096")));
        assertThatThrownBy(() -> fs.apply(v1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cgroup qfence.slice/web is realized for V1 but this host has V2");
    }
}
