package io.qfence.platform.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.ByteSize;
import io.qfence.model.MilliCpus;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimitFile;
import io.qfence.model.host.CgroupLimits;
import io.qfence.model.host.CgroupVersion;
import io.qfence.testing.RequiresHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cgroup's hard limits, read back by the adapter in version-independent units: the formats of {@code memory.max},
 * {@code cpu.max} and {@code pids.max} (v2) and of v1's {@code memory.limit_in_bytes} and CFS quota and period are
 * known here and nowhere above (the demo once parsed them itself).
 */
class CgroupLimitsTest {

    /** 320 MiB, half a CPU, 64 tasks: what realization gives a 96 MiB, 0.5-CPU VM with a pids limit of 64. */
    static final CgroupLimits GUEST = new CgroupLimits(Optional.of(ByteSize.ofMebibytes(320)), Optional.of(new MilliCpus(500)),
            OptionalLong.of(64));

    private static Cgroup cgroup(CgroupVersion version, Map<CgroupLimitFile, String> files) {
        TreeMap<String, String> named = new TreeMap<>();
        files.forEach((f, v) -> named.put(f.file(), v));
        return new Cgroup("group.web/vm.web-01/cgroup", "qfence.slice/web/web-01", version, named);
    }

    private static Map<CgroupLimitFile, String> guestFiles(CgroupVersion version) {
        return version == CgroupVersion.V2
                ? Map.of(CgroupLimitFile.V2_MEMORY_MAX, "335544320", CgroupLimitFile.V2_CPU_MAX, "50000 100000",
                        CgroupLimitFile.V2_PIDS_MAX, "64")
                : Map.of(CgroupLimitFile.V1_MEMORY_LIMIT, "335544320", CgroupLimitFile.V1_CPU_CFS_QUOTA, "50000",
                        CgroupLimitFile.V1_CPU_CFS_PERIOD, "100000", CgroupLimitFile.V1_PIDS_MAX, "64");
    }

    @Test
    void v2LimitsAreReadFromMemoryMaxCpuMaxAndPidsMax() {
        assertThat(CgroupLimitsFormat.parse(cgroup(CgroupVersion.V2, guestFiles(CgroupVersion.V2)))).isEqualTo(GUEST);
    }

    @Test
    void v1LimitsAreReadFromTheMemoryLimitTheCfsQuotaOverItsPeriodAndPidsMax() {
        assertThat(CgroupLimitsFormat.parse(cgroup(CgroupVersion.V1, guestFiles(CgroupVersion.V1)))).isEqualTo(GUEST);
    }

    @Test
    void whatTheKernelPrintsForNoLimitIsNoLimitOnBothVersions() {
        assertThat(CgroupLimitsFormat.parse(cgroup(CgroupVersion.V2, Map.of(CgroupLimitFile.V2_MEMORY_MAX, "max",
                CgroupLimitFile.V2_CPU_MAX, "max 100000", CgroupLimitFile.V2_PIDS_MAX, "max")))).isEqualTo(CgroupLimits.none());
        assertThat(CgroupLimitsFormat.parse(cgroup(CgroupVersion.V1, Map.of(CgroupLimitFile.V1_MEMORY_LIMIT, "9223372036854771712",
                CgroupLimitFile.V1_CPU_CFS_QUOTA, "-1", CgroupLimitFile.V1_CPU_CFS_PERIOD, "100000",
                CgroupLimitFile.V1_PIDS_MAX, "max")))).isEqualTo(CgroupLimits.none());
    }

    @Test
    void aMissingFileIsNoLimitBecauseItsControllerLimitsNothing() {
        assertThat(CgroupLimitsFormat.parse(cgroup(CgroupVersion.V1, Map.of(CgroupLimitFile.V1_PIDS_MAX, "64"))))
                .isEqualTo(new CgroupLimits(Optional.empty(), Optional.empty(), OptionalLong.of(64)));
    }

    @Test
    void aValueTheFileCannotHoldIsAnErrorNamingTheFile() {
        assertThatThrownBy(() -> CgroupLimitsFormat.parse(cgroup(CgroupVersion.V2, Map.of(CgroupLimitFile.V2_CPU_MAX, "50000"))))
                .isInstanceOf(CgroupException.class)
                .hasMessage("read qfence.slice/web/web-01/cpu.max: not a limit this version of the file holds: '50000'");
        assertThatThrownBy(() -> CgroupLimitsFormat.parse(cgroup(CgroupVersion.V1, Map.of(CgroupLimitFile.V1_MEMORY_LIMIT, "-5"))))
                .isInstanceOf(CgroupException.class)
                .hasMessage("read qfence.slice/web/web-01/memory/memory.limit_in_bytes: not a limit this version of the file holds: '-5'");
    }

    @Test
    void aV2CgroupsLimitsAreReadBackAsTheKernelPrintsThem(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("cgroup"));
        FakeCgroup2Tree tree = new FakeCgroup2Tree(root, "cpu", "io", "memory", "pids");
        CgroupFs fs = new CgroupFs(CgroupLayout.detect(root, tree.mountinfo(dir)), tree);
        fs.apply(new Cgroup("group.web/cgroup", "qfence.slice/web", CgroupVersion.V2,
                new TreeMap<>(Map.of("cgroup.subtree_control", "cpu io memory pids"))));

        assertThat(fs.limits("qfence.slice/web")).as("the group sets none").contains(CgroupLimits.none());
        fs.apply(cgroup(CgroupVersion.V2, guestFiles(CgroupVersion.V2)));
        assertThat(fs.limits("qfence.slice/web/web-01")).contains(GUEST);
        assertThat(fs.limits("qfence.slice/web/web-02")).as("no such cgroup").isEmpty();
    }

    /** On this machine's own layout (v1 here, v2 in the lab), in a private cgroup removed afterwards. */
    @Test
    @RequiresHost(files = "/sys/fs/cgroup")
    void theKernelsOwnReadBackOfAFreshAndALimitedCgroupIsUnderstood() {
        CgroupFs fs = new CgroupFs(CgroupLayout.detect());
        CgroupVersion version = fs.layout().version();
        String base = "qfence-test-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            Cgroup limited = new Cgroup("test/cgroup", base + "/vm", version, new TreeMap<>(cgroup(version, guestFiles(version)).files()));
            fs.apply(new Cgroup("test/cgroup", base, version, new TreeMap<>(version == CgroupVersion.V2
                    ? Map.of("cgroup.subtree_control", "cpu memory pids") : Map.of())));

            assertThat(fs.limits(base)).as("a fresh cgroup").contains(CgroupLimits.none());
            fs.apply(limited);
            assertThat(fs.limits(base + "/vm")).contains(GUEST);
        } finally {
            fs.remove(base);
        }
    }
}
