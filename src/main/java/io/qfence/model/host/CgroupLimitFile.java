package io.qfence.model.host;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The cgroup limit files qfence manages, for each cgroup version, in the order they are written (pids, cpu, I/O,
 * memory last; {@code memory.high} before {@code memory.max}). The one list both sides read: {@code realize} writes
 * only these names and {@code platform.cgroup} observes and orders by them, so a file realized is always a file
 * observed. (They were two lists once, and v1 observation looked for {@code blkio.weight}, which the kernel removed
 * in 5.0 with CFQ, while realization wrote BFQ's {@code blkio.bfq.weight}: a stray cgroup's I/O weight was never read.)
 */
public enum CgroupLimitFile {
    V2_PIDS_MAX(CgroupVersion.V2, "pids.max"),
    V2_CPU_WEIGHT(CgroupVersion.V2, "cpu.weight"),
    V2_CPU_MAX(CgroupVersion.V2, "cpu.max"),
    V2_IO_WEIGHT(CgroupVersion.V2, "io.weight"),
    V2_MEMORY_SWAP_MAX(CgroupVersion.V2, "memory.swap.max"),
    V2_MEMORY_HIGH(CgroupVersion.V2, "memory.high"),
    V2_MEMORY_MAX(CgroupVersion.V2, "memory.max"),

    V1_PIDS_MAX(CgroupVersion.V1, "pids/pids.max"),
    V1_CPU_SHARES(CgroupVersion.V1, "cpu/cpu.shares"),
    V1_CPU_CFS_PERIOD(CgroupVersion.V1, "cpu/cpu.cfs_period_us"),
    V1_CPU_CFS_QUOTA(CgroupVersion.V1, "cpu/cpu.cfs_quota_us"),
    /** BFQ's weight (1..1000): the only v1 I/O weight since Linux 5.0. */
    V1_BLKIO_BFQ_WEIGHT(CgroupVersion.V1, "blkio/blkio.bfq.weight"),
    V1_MEMORY_LIMIT(CgroupVersion.V1, "memory/memory.limit_in_bytes");

    private final CgroupVersion version;
    private final String file;

    CgroupLimitFile(CgroupVersion version, String file) {
        this.version = version;
        this.file = file;
    }

    public CgroupVersion version() {
        return version;
    }

    /** As {@link Cgroup#files()} names it: {@code memory.max} on v2, {@code memory/memory.limit_in_bytes} on v1. */
    public String file() {
        return file;
    }

    /** The files managed on {@code version}, in write order. */
    public static List<String> inWriteOrder(CgroupVersion version) {
        Objects.requireNonNull(version, "version");
        return Arrays.stream(values()).filter(f -> f.version == version).map(CgroupLimitFile::file).toList();
    }
}
