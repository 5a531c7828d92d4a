package io.qfence.platform.cgroup;

import io.qfence.host.CgroupPort;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Capability;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimits;
import io.qfence.model.host.CgroupVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@link CgroupPort} over cgroupfs ({@link CgroupFs}). A limit file the desired cgroup has but this host lacks fails
 * the apply with the file's name, rather than being skipped: realization already leaves out what the host's facts say
 * it cannot do ({@link #ioWeight}), so a missing file means the facts were wrong.
 *
 * <p>Every method fails with {@link HostPortException} (port {@code cgroups}) naming the cgroup; cgroupfs' own
 * exceptions stay inside this package ({@link CgroupPortEdge}).
 */
public final class CgroupFsPort implements CgroupPort {

    private final CgroupFs fs;

    public CgroupFsPort(CgroupFs fs) {
        this.fs = Objects.requireNonNull(fs, "fs");
    }

    @Override
    public List<String> list(String parent) {
        return CgroupPortEdge.call(CgroupPortEdge.object(parent), () -> fs.list(parent));
    }

    @Override
    public List<String> list(String parent, int depth) {
        return CgroupPortEdge.call(CgroupPortEdge.object(parent), () -> fs.list(parent, depth));
    }

    @Override
    public Optional<Cgroup> read(String address, String path, Set<String> files) {
        return CgroupPortEdge.call(CgroupPortEdge.object(path), () -> fs.read(address, path, files));
    }

    @Override
    public Optional<Cgroup> readAll(String address, String path) {
        return CgroupPortEdge.call(CgroupPortEdge.object(path), () -> fs.observe(address, path));
    }

    @Override
    public Optional<CgroupLimits> limits(String path) {
        return CgroupPortEdge.call(CgroupPortEdge.object(path), () -> fs.limits(path));
    }

    @Override
    public void apply(Cgroup cgroup) {
        CgroupFs.Written w = CgroupPortEdge.call(CgroupPortEdge.object(cgroup.path()), () -> fs.apply(cgroup));
        if (!w.unsupported().isEmpty()) {
            throw new HostPortException(HostPortException.Port.CGROUPS, "write", CgroupPortEdge.object(cgroup.path()),
                    new HostPortException.Refusal("this host has no " + String.join(", ", w.unsupported())
                            + " (a controller or I/O scheduler is missing)"));
        }
    }

    @Override
    public void delete(Cgroup cgroup) {
        CgroupPortEdge.run(CgroupPortEdge.object(cgroup.path()), () -> fs.remove(cgroup.path()));
    }

    /**
     * Whether this host can weight I/O ({@link Capability#CGROUP_IO_WEIGHT}): on v2 the io controller is available; on
     * v1 the BFQ scheduler's cgroup policy is registered, which shows as {@code blkio.bfq.*} files in the blkio
     * hierarchy's root (its children then have {@code blkio.bfq.weight}).
     */
    public static boolean ioWeight(CgroupLayout layout) {
        if (layout.version() == CgroupVersion.V2) {
            return layout.hierarchies().containsKey("io");
        }
        Path blkio = layout.hierarchies().get("blkio");
        if (blkio == null) {
            return false;
        }
        try (Stream<Path> files = Files.list(blkio)) {
            return files.anyMatch(f -> f.getFileName().toString().startsWith("blkio.bfq."));
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
