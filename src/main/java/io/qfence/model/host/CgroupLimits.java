package io.qfence.model.host;

import io.qfence.model.ByteSize;
import io.qfence.model.MilliCpus;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A cgroup's hard limits as the kernel enforces them, in units that do not depend on the cgroup version or its file
 * formats: what {@code memory.max} (or v1's {@code memory.limit_in_bytes}), {@code cpu.max} (or v1's CFS quota over
 * its period) and {@code pids.max} say. Empty means no limit. Only {@code platform.cgroup} reads the files these come
 * from, so that a caller showing limits (the demo) never parses a cgroup file itself.
 *
 * @param memory bytes the cgroup may use
 * @param cpus   CPU bandwidth, rounded to a thousandth of a CPU
 * @param pids   tasks the cgroup may hold
 */
public record CgroupLimits(Optional<ByteSize> memory, Optional<MilliCpus> cpus, OptionalLong pids) {

    public CgroupLimits {
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(cpus, "cpus");
        Objects.requireNonNull(pids, "pids");
        if (pids.isPresent() && pids.getAsLong() < 0) {
            throw new IllegalArgumentException("a pids limit cannot be negative, got " + pids.getAsLong());
        }
    }

    /** No limit at all. */
    public static CgroupLimits none() {
        return new CgroupLimits(Optional.empty(), Optional.empty(), OptionalLong.empty());
    }
}
