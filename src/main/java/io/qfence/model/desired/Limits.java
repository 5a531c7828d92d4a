package io.qfence.model.desired;

import io.qfence.model.ByteSize;
import io.qfence.model.MilliCpus;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Resource limits for a group (the whole group's cgroup) or for one VM (its own cgroup). Every field is optional;
 * an absent field means "no limit set by qfence" for a group, and "derived from the VM's size" for a VM.
 *
 * @param cpus     CPU bandwidth, e.g. 1.5 cpus
 * @param memory   hard memory limit of the cgroup
 * @param pids     maximum number of tasks
 * @param ioWeight proportional block-I/O weight, 1..10000 (cgroup v2 scale; mapped to 10..1000 on v1)
 */
public record Limits(Optional<MilliCpus> cpus, Optional<ByteSize> memory, OptionalLong pids, OptionalInt ioWeight) {

    public static final Limits NONE = new Limits(Optional.empty(), Optional.empty(), OptionalLong.empty(), OptionalInt.empty());

    public Limits {
        Objects.requireNonNull(cpus, "cpus");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(pids, "pids");
        Objects.requireNonNull(ioWeight, "ioWeight");
        if (pids.isPresent() && pids.getAsLong() < 1) {
            throw new IllegalArgumentException("pids limit must be at least 1, got " + pids.getAsLong());
        }
        if (ioWeight.isPresent() && (ioWeight.getAsInt() < 1 || ioWeight.getAsInt() > 10000)) {
            throw new IllegalArgumentException("ioWeight must be 1..10000, got " + ioWeight.getAsInt());
        }
    }
}
