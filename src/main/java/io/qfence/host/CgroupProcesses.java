package io.qfence.host;

import io.qfence.model.errors.HostPortException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * What the guest adapter needs to know about cgroups beyond {@link CgroupPort}: which processes a cgroup holds and
 * where its directories are (the launch chain joins them, and a started QEMU's {@code /proc/PID/cgroup} is checked
 * against them). A port of its own so that {@code platform.qemu} does not depend on {@code platform.cgroup}; the
 * composition root passes the cgroup adapter, which implements it.
 */
public interface CgroupProcesses {

    /** The cgroups at most {@code depth} levels below {@code parent}, parents before children; empty if it does not exist. */
    List<String> list(String parent, int depth) throws HostPortException;

    /** The pids in the cgroup at {@code path}, sorted (the union over v1 hierarchies). */
    List<Long> pids(String path) throws HostPortException;

    /** The directories of the cgroup at {@code path}: one per v1 hierarchy, or the one v2 directory. */
    List<Path> directories(String path) throws HostPortException;

    /**
     * How many processes the kernel's OOM killer has killed in the cgroup at {@code path} since it was created, as
     * the kernel counts them; empty when this host cannot tell (no memory controller, an old v1 kernel, no such
     * cgroup). Observation reports it with each guest (its state, a crash's cause, {@code qfence_oom_kills_total}).
     */
    OptionalLong oomKills(String path) throws HostPortException;
}
