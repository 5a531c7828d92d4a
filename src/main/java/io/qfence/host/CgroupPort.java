package io.qfence.host;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.CgroupLimits;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * qfence's cgroups on the host's cgroup filesystem (v1: one directory per controller hierarchy; v2: one). Paths are
 * relative to the cgroup root, as in {@link Cgroup#path()}.
 */
public interface CgroupPort {

    /** Every cgroup below {@code parent} (not {@code parent} itself), parents before children; empty if it does not exist. */
    List<String> list(String parent) throws HostPortException;

    /**
     * The cgroups at most {@code depth} levels below {@code parent}, parents before children: what observation looks
     * at (a group's cgroup and its VMs' cgroups), without reading the directories of every VM's cgroup.
     */
    default List<String> list(String parent, int depth) throws HostPortException {
        return list(parent).stream().filter(p -> p.substring(parent.length() + 1).split("/").length <= depth).toList();
    }

    /** The cgroup at {@code path} with exactly the named files that exist; empty when the cgroup does not exist. */
    Optional<Cgroup> read(String address, String path, Set<String> files) throws HostPortException;

    /** The cgroup at {@code path} with every limit file qfence manages on this host; empty when it does not exist. */
    Optional<Cgroup> readAll(String address, String path) throws HostPortException;

    /**
     * The hard limits the kernel enforces on {@code path} (memory, CPU bandwidth, pids) in units that do not depend on
     * the cgroup version; empty when the cgroup does not exist. Read back for the demo's table.
     */
    Optional<CgroupLimits> limits(String path) throws HostPortException;

    /** Creates the cgroup (and missing parents) if needed and writes its files; idempotent. */
    void apply(Cgroup cgroup) throws HostPortException;

    /** Removes the cgroup and anything below it, bottom-up; a cgroup that still has processes cannot be removed. */
    void delete(Cgroup cgroup) throws HostPortException;
}
