package io.qfence.platform.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.CgroupLimitFile;
import io.qfence.model.host.CgroupVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which v1 files observation reads, on v1 hierarchies laid out in a temporary directory as the kernel lays them out
 * (one directory per controller, the cgroup's directory in each, one file per limit). Why not the real kernel: these
 * machines' disks use no BFQ scheduler, so {@code blkio.bfq.weight} exists nowhere here, and a stray cgroup's I/O
 * weight is exactly what must not go unseen on hosts that have it.
 */
class CgroupFsV1FilesTest {

    static final String PATH = "qfence.slice/web/web-01";

    @TempDir
    Path root;

    private CgroupFs fs(Map<String, String> files) throws Exception {
        Map<String, Path> hierarchies = new LinkedHashMap<>();
        for (String controller : CgroupLayout.CONTROLLERS_V1) {
            Path hierarchy = root.resolve(controller);
            Files.createDirectories(hierarchy.resolve(PATH));
            hierarchies.put(controller, hierarchy);
        }
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(root.resolve(f.getKey().substring(0, f.getKey().indexOf('/'))).resolve(PATH)
                    .resolve(f.getKey().substring(f.getKey().indexOf('/') + 1)), f.getValue() + "\n");
        }
        return new CgroupFs(new CgroupLayout(CgroupVersion.V1, root, hierarchies, Set.of()));
    }

    @Test
    void aStrayCgroupsBfqIoWeightIsObserved() throws Exception {
        CgroupFs fs = fs(Map.of("blkio/blkio.bfq.weight", "500", "pids/pids.max", "64"));

        assertThat(fs.observe("stray", PATH).orElseThrow().files())
                .containsEntry("blkio/blkio.bfq.weight", "500")
                .containsEntry("pids/pids.max", "64");
    }

    @Test
    void everyManagedV1FileIsObservedWithTheValueTheKernelPrints() throws Exception {
        Map<String, String> files = new LinkedHashMap<>();
        for (String file : CgroupLimitFile.inWriteOrder(CgroupVersion.V1)) {
            files.put(file, Integer.toString(files.size() + 1));
        }
        CgroupFs fs = fs(files);

        assertThat(fs.observe("stray", PATH).orElseThrow().files()).containsExactlyInAnyOrderEntriesOf(files);
    }

    @Test
    void theCfqWeightRemovedFromTheKernelIsNotAFileQfenceManages() {
        assertThat(CgroupFs.LIMIT_FILES_V1).contains("blkio/blkio.bfq.weight").doesNotContain("blkio/blkio.weight");
    }
}
