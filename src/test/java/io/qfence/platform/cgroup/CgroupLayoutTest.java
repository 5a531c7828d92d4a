package io.qfence.platform.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.CgroupVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection from mountinfo files shaped like real hosts' (see proc(5)). */
class CgroupLayoutTest {

    @TempDir
    Path dir;

    private CgroupLayout detect(String mountinfo) throws Exception {
        Path file = dir.resolve("mountinfo");
        Files.writeString(file, mountinfo);
        return CgroupLayout.detect(Path.of("/sys/fs/cgroup"), file);
    }

    @Test
    void aHybridHostWithControllersOnV1AndAnEmptyUnifiedMountIsV1() throws Exception {
        CgroupLayout layout = detect("""
                31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
                32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
                35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
                38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
                39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
                40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
                41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
                """);
        assertThat(layout.version()).isEqualTo(CgroupVersion.V1);
        assertThat(layout.hierarchies()).containsEntry("cpu", Path.of("/sys/fs/cgroup/cpu,cpuacct"))
                .containsEntry("memory", Path.of("/sys/fs/cgroup/memory")).containsEntry("blkio", Path.of("/sys/fs/cgroup/blkio"))
                .containsEntry("pids", Path.of("/sys/fs/cgroup/pids")).hasSize(4);
        assertThat(layout.missing()).isEmpty();
    }

    @Test
    void aV1ControllerThatIsNotMountedIsMissing() throws Exception {
        CgroupLayout layout = detect("""
                35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
                32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
                """);
        assertThat(layout.missing()).containsExactly("blkio", "pids");
        assertThat(layout.describe()).isEqualTo("""
                cgroup v1 at /sys/fs/cgroup
                  cpu: /sys/fs/cgroup/cpu
                  memory: /sys/fs/cgroup/memory
                  blkio: not available
                  pids: not available""");
    }

    @Test
    void cgroupMountsOutsideTheRootAreIgnoredAndNoControllerAtAllIsAnError() {
        assertThatThrownBy(() -> detect("""
                50 24 0:40 / /srv/other\\040cgroups/memory rw - cgroup cgroup rw,memory
                24 1 0:22 / / rw,relatime - ext4 /dev/vda1 rw
                """)).isInstanceOf(io.qfence.model.errors.HostPortException.class)
                .hasMessage("cgroup root /sys/fs/cgroup: detect cgroup controllers under /sys/fs/cgroup: no cgroup2 mount at the root"
                        + " and no v1 hierarchy with blkio, cpu, memory, pids");
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertThat(CgroupLayout.parseMountinfoLine("50 24 0:40 / /srv/other\\040cgroups/memory rw shared:3 master:1 - cgroup cgroup rw,memory"))
                .isEqualTo(new CgroupLayout.Mount(Path.of("/srv/other cgroups/memory"), "cgroup", "rw,memory"));
    }
}
