package io.qfence.realize;

import io.qfence.model.ByteSize;
import io.qfence.model.Diagnostic;
import io.qfence.model.MilliCpus;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimitFile;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.desired.Limits;
import io.qfence.model.desired.Vm;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * cgroups (DESIGN.md §8): {@code CGROUP_PARENT/GROUP} per group, {@code CGROUP_PARENT/GROUP/VM} per VM, with the limit
 * files rendered for the host's cgroup version, each value exactly as the kernel reads it back.
 *
 * <p>Choices:
 * <ul>
 *   <li>A VM's limits are its requests ({@link Vm#cpuRequest()}, {@link Vm#memoryRequest()}, {@link Vm#pidsRequest()}):
 *       its own {@code limits}, else its vCPUs of bandwidth, RAM + {@link Vm#QEMU_MEMORY_OVERHEAD} of memory and
 *       {@link Vm#DEFAULT_PIDS} tasks; validation budgets the group's limits with the same numbers.</li>
 *   <li>CPU bandwidth: period 100 ms; quota = cpus x period, at least the kernel's 1 ms minimum. CPU weight follows the
 *       bandwidth (100 per CPU on v2, systemd's scale; 1024 per CPU as v1 shares).</li>
 *   <li>Memory: bytes rounded down to the 4 KiB page, as the kernel stores them. On v2 a VM also gets
 *       {@code memory.high max} (no reclaim throttling below the hard limit: a guest's RAM is mostly resident, and
 *       throttling would stall it instead of protecting the host) and {@code memory.swap.max 0} (the limit must mean
 *       RAM).</li>
 *   <li>I/O weight: v2 {@code io.weight} takes the 1..10000 value as {@code default N}. On v1 the CFQ-era
 *       {@code blkio.weight} is gone since Linux 5.0; the BFQ file {@code blkio.bfq.weight} (1..1000, default 100,
 *       the same default as v2) takes the value clamped to 1000. Only written when a weight is set, since neither file
 *       exists without the BFQ or iocost scheduler.</li>
 *   <li>A group's files are written only for the limits the group sets; on v2 the group enables the controllers for
 *       its VMs with {@code cgroup.subtree_control}, stored as the kernel lists it: {@code cpu io memory pids}. The
 *       parent {@code cgroupParent} is the host's to provide, with those controllers enabled.</li>
 * </ul>
 */
final class CgroupRealizer {

    static final long PERIOD_US = 100_000;
    static final long MIN_QUOTA_US = 1_000;
    static final long PAGE = 4096;
    static final String SUBTREE_CONTROL = "cpu io memory pids";

    private CgroupRealizer() {}

    /** Limits after defaults are applied. */
    record Resolved(Optional<MilliCpus> cpus, Optional<ByteSize> memory, OptionalLong pids, OptionalInt ioWeight) {}

    static String groupPath(String parent, String group) {
        return parent + "/" + group;
    }

    static String vmPath(String parent, String group, String vm) {
        return groupPath(parent, group) + "/" + vm;
    }

    static Cgroup group(String parent, String group, Limits limits, CgroupVersion version, boolean ioWeightSupported) {
        Resolved r = new Resolved(limits.cpus(), limits.memory(), limits.pids(),
                ioWeightSupported ? limits.ioWeight() : OptionalInt.empty());
        SortedMap<String, String> files = render(r, version, false);
        if (version == CgroupVersion.V2) {
            files.put("cgroup.subtree_control", SUBTREE_CONTROL);
        }
        return new Cgroup(Addresses.groupCgroup(group), groupPath(parent, group), version, files);
    }

    static Cgroup vm(String parent, String group, Vm vm, CgroupVersion version, boolean ioWeightSupported) {
        return new Cgroup(Addresses.vmCgroup(group, vm.name()), vmPath(parent, group, vm.name()), version,
                render(resolve(vm, ioWeightSupported), version, true));
    }

    /** The VM's requests as the model defines them, the same numbers validation budgets a group's limits with. */
    static Resolved resolve(Vm vm, boolean ioWeightSupported) {
        return new Resolved(Optional.of(vm.cpuRequest()), Optional.of(vm.memoryRequest()), OptionalLong.of(vm.pidsRequest()),
                ioWeightSupported ? vm.limits().ioWeight() : OptionalInt.empty());
    }

    /**
     * Where the host cannot weight I/O (no io controller on v2; no BFQ scheduler, hence no {@code blkio.bfq.weight},
     * on v1), an {@code ioWeight} cannot be applied. It is not an isolation property, so realization warns and leaves
     * it out rather than failing the whole plan.
     */
    static Optional<Diagnostic> ioWeightWarning(Limits limits, io.qfence.model.Origin origin, String owner, boolean ioWeightSupported) {
        if (ioWeightSupported || limits.ioWeight().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Diagnostic.warning(origin, owner + ": ioWeight " + limits.ioWeight().getAsInt()
                + " is not applied: this host lacks " + io.qfence.model.host.Capability.CGROUP_IO_WEIGHT.requirement()));
    }

    /** A warning when a VM's explicit memory limit leaves QEMU less than its documented overhead. */
    static Optional<Diagnostic> memoryWarning(Vm vm) {
        ByteSize needed = vm.memory().plus(Vm.QEMU_MEMORY_OVERHEAD);
        return vm.limits().memory().filter(m -> m.compareTo(needed) < 0).map(m -> Diagnostic.warning(vm.origin(),
                "vm " + vm.name() + ": memory limit " + m + " is below its RAM plus the QEMU overhead (" + needed
                        + "); the guest may be OOM-killed"));
    }

    static SortedMap<String, String> render(Resolved r, CgroupVersion version, boolean vm) {
        SortedMap<String, String> f = new TreeMap<>();
        if (version == CgroupVersion.V2) {
            r.cpus().ifPresent(c -> {
                f.put(CgroupLimitFile.V2_CPU_MAX.file(), quota(c) + " " + PERIOD_US);
                f.put(CgroupLimitFile.V2_CPU_WEIGHT.file(), Long.toString(clamp(c.millis() / 10, 1, 10_000)));
            });
            r.memory().ifPresent(m -> f.put(CgroupLimitFile.V2_MEMORY_MAX.file(), Long.toString(pages(m))));
            if (vm) {
                f.put(CgroupLimitFile.V2_MEMORY_HIGH.file(), "max");
                f.put(CgroupLimitFile.V2_MEMORY_SWAP_MAX.file(), "0");
            }
            r.pids().ifPresent(p -> f.put(CgroupLimitFile.V2_PIDS_MAX.file(), Long.toString(p)));
            r.ioWeight().ifPresent(w -> f.put(CgroupLimitFile.V2_IO_WEIGHT.file(), "default " + w));
        } else {
            r.cpus().ifPresent(c -> {
                f.put(CgroupLimitFile.V1_CPU_CFS_PERIOD.file(), Long.toString(PERIOD_US));
                f.put(CgroupLimitFile.V1_CPU_CFS_QUOTA.file(), Long.toString(quota(c)));
                f.put(CgroupLimitFile.V1_CPU_SHARES.file(), Long.toString(clamp(c.millis() * 1024L / 1000, 2, 262_144)));
            });
            r.memory().ifPresent(m -> f.put(CgroupLimitFile.V1_MEMORY_LIMIT.file(), Long.toString(pages(m))));
            r.pids().ifPresent(p -> f.put(CgroupLimitFile.V1_PIDS_MAX.file(), Long.toString(p)));
            r.ioWeight().ifPresent(w -> f.put(CgroupLimitFile.V1_BLKIO_BFQ_WEIGHT.file(), Long.toString(clamp(w, 1, 1000))));
        }
        return f;
    }

    static long quota(MilliCpus cpus) {
        return Math.max(MIN_QUOTA_US, cpus.millis() * PERIOD_US / 1000);
    }

    static long pages(ByteSize size) {
        return size.bytes() / PAGE * PAGE;
    }

    private static long clamp(long v, long min, long max) {
        return Math.max(min, Math.min(max, v));
    }
}
