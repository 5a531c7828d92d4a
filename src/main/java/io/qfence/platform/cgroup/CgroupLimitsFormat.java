package io.qfence.platform.cgroup;

import io.qfence.model.ByteSize;
import io.qfence.model.MilliCpus;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimitFile;
import io.qfence.model.host.CgroupLimits;
import io.qfence.model.host.CgroupVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The hard limit files as the kernel prints them, read into {@link CgroupLimits}: the one place that knows v2's
 * {@code max} and {@code QUOTA PERIOD}, and v1's {@code -1} quota and page-counter maximum, so that nothing above
 * the adapter parses a cgroup file. A file that is missing (its controller is not mounted) means no limit.
 */
final class CgroupLimitsFormat {

    /**
     * v1's {@code memory.limit_in_bytes} when nothing limits it: the page counter's maximum in bytes, the largest
     * {@code long} rounded down to a 4 KiB page.
     */
    static final long V1_NO_MEMORY_LIMIT = Long.MAX_VALUE & ~0xFFFL;

    private CgroupLimitsFormat() {}

    /** The files {@link #parse} reads on {@code version}. */
    static List<String> files(CgroupVersion version) {
        List<CgroupLimitFile> files = version == CgroupVersion.V2
                ? List.of(CgroupLimitFile.V2_MEMORY_MAX, CgroupLimitFile.V2_CPU_MAX, CgroupLimitFile.V2_PIDS_MAX)
                : List.of(CgroupLimitFile.V1_MEMORY_LIMIT, CgroupLimitFile.V1_CPU_CFS_QUOTA, CgroupLimitFile.V1_CPU_CFS_PERIOD,
                        CgroupLimitFile.V1_PIDS_MAX);
        return files.stream().map(CgroupLimitFile::file).toList();
    }

    /** The limits that {@code observed}'s files (read back verbatim, as {@link CgroupFs#read} does) set. */
    static CgroupLimits parse(Cgroup observed) {
        return observed.version() == CgroupVersion.V2 ? parseV2(observed) : parseV1(observed);
    }

    private static CgroupLimits parseV2(Cgroup c) {
        Optional<ByteSize> memory = value(c, CgroupLimitFile.V2_MEMORY_MAX).flatMap(v -> maxOr(c, CgroupLimitFile.V2_MEMORY_MAX, v))
                .map(ByteSize::new);
        Optional<MilliCpus> cpus = value(c, CgroupLimitFile.V2_CPU_MAX).flatMap(v -> {
            String[] quotaPeriod = v.split(" ");
            if (quotaPeriod.length != 2) {
                throw malformed(c, CgroupLimitFile.V2_CPU_MAX, v);
            }
            return quotaPeriod[0].equals("max") ? Optional.empty()
                    : Optional.of(cpus(c, CgroupLimitFile.V2_CPU_MAX, v, number(c, CgroupLimitFile.V2_CPU_MAX, quotaPeriod[0]),
                            number(c, CgroupLimitFile.V2_CPU_MAX, quotaPeriod[1])));
        });
        return new CgroupLimits(memory, cpus, pids(c, CgroupLimitFile.V2_PIDS_MAX));
    }

    private static CgroupLimits parseV1(Cgroup c) {
        Optional<ByteSize> memory = value(c, CgroupLimitFile.V1_MEMORY_LIMIT).map(v -> number(c, CgroupLimitFile.V1_MEMORY_LIMIT, v))
                .filter(bytes -> bytes < V1_NO_MEMORY_LIMIT).map(ByteSize::new);
        Optional<String> quota = value(c, CgroupLimitFile.V1_CPU_CFS_QUOTA);
        Optional<String> period = value(c, CgroupLimitFile.V1_CPU_CFS_PERIOD);
        Optional<MilliCpus> cpus = Optional.empty();
        if (quota.isPresent() && period.isPresent() && !quota.get().equals("-1")) { // -1: no quota
            cpus = Optional.of(cpus(c, CgroupLimitFile.V1_CPU_CFS_QUOTA, quota.get(), number(c, CgroupLimitFile.V1_CPU_CFS_QUOTA, quota.get()),
                    number(c, CgroupLimitFile.V1_CPU_CFS_PERIOD, period.get())));
        }
        return new CgroupLimits(memory, cpus, pids(c, CgroupLimitFile.V1_PIDS_MAX));
    }

    private static OptionalLong pids(Cgroup c, CgroupLimitFile file) {
        Optional<Long> pids = value(c, file).flatMap(v -> maxOr(c, file, v));
        return pids.map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    /** quota/period CPUs, to the thousandth (at least one: the kernel's smallest quota is 1 ms over at most 1 s). */
    private static MilliCpus cpus(Cgroup c, CgroupLimitFile file, String text, long quota, long period) {
        if (quota <= 0 || period <= 0) {
            throw malformed(c, file, text);
        }
        long millis = Math.max(1, Math.round(quota * 1000.0 / period));
        if (millis > Integer.MAX_VALUE) {
            throw malformed(c, file, text);
        }
        return new MilliCpus((int) millis);
    }

    private static Optional<String> value(Cgroup c, CgroupLimitFile file) {
        return Optional.ofNullable(c.files().get(file.file())).map(String::strip);
    }

    /** {@code max} (no limit) or a count. */
    private static Optional<Long> maxOr(Cgroup c, CgroupLimitFile file, String value) {
        return value.equals("max") ? Optional.empty() : Optional.of(number(c, file, value));
    }

    private static long number(Cgroup c, CgroupLimitFile file, String value) {
        try {
            long n = Long.parseLong(value);
            if (n < 0) {
                throw malformed(c, file, value);
            }
            return n;
        } catch (NumberFormatException e) {
            throw malformed(c, file, value);
        }
    }

    private static CgroupException malformed(Cgroup c, CgroupLimitFile file, String value) {
        return new CgroupException("read", Path.of(c.path(), file.file()), 0, "not a limit this version of the file holds: '" + value + "'");
    }
}
