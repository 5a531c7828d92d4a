package io.qfence.platform.qemu;

import io.qfence.model.host.CgroupVersion;
import java.nio.file.Path;
import java.util.List;

/** Where a VM's cgroup lives in each hierarchy it must join. */
public final class CgroupDirs {

    /** The v1 controllers qfence limits a VM with (DESIGN.md §8). */
    public static final List<String> V1_CONTROLLERS = List.of("cpu", "memory", "pids", "blkio");

    private CgroupDirs() {}

    /**
     * @param cgroupRoot  usually {@code /sys/fs/cgroup}
     * @param cgroupPath  the VM's cgroup relative to the root (v2) or to each controller's root (v1), as
     *                    {@code GuestLaunch#cgroupPath}
     * @param controllers for v1, the controller hierarchies to join; ignored for v2
     */
    public static List<Path> of(Path cgroupRoot, CgroupVersion version, String cgroupPath, List<String> controllers) {
        if (cgroupPath.startsWith("/") || cgroupPath.contains("..") || cgroupPath.isEmpty()) {
            throw new IllegalArgumentException("cgroup path must be relative without '..', got '" + cgroupPath + "'");
        }
        if (version == CgroupVersion.V2) {
            return List.of(cgroupRoot.resolve(cgroupPath));
        }
        return controllers.stream().map(c -> cgroupRoot.resolve(c).resolve(cgroupPath)).toList();
    }
}
