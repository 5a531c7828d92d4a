package io.qfence.model.host;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What observation learns about a guest's process. Never compared by the planner.
 *
 * @param qmpStatus  QMP {@code query-status} status, e.g. {@code running} or {@code prelaunch}
 * @param exitCause  for a crashed guest: why, e.g. {@code killed by SIGKILL; 1 OOM kill in its cgroup}
 * @param unrecorded a QEMU of qfence's (found through its pidfile or in qfence's cgroup parent) for which qfence has
 *                   no record: a start was interrupted between the spawn and the record. The plan resolves it
 *                   ({@code interrupted start}): it is adopted when it runs what is desired, else stopped.
 * @param oomKills   how many processes the kernel's OOM killer has killed in the VM's cgroup since it was created
 *                   ({@code oom_kill} of v2 {@code memory.events} or v1 {@code memory.oom_control}); empty when the
 *                   host cannot tell (no memory controller, a v1 kernel before 4.13, no cgroup)
 * @param confinement what confines its QEMU, read from {@code /proc} by observation of a running or paused guest;
 *                    empty otherwise (a realization, an ended guest, a fake). Written to JSON only when present, so
 *                    the realization's JSON and the plan's digests do not carry it.
 */
public record GuestRuntime(OptionalLong pid, Optional<String> qmpStatus, Optional<String> exitCause, boolean unrecorded,
                           OptionalLong oomKills, Optional<GuestConfinement> confinement) {

    public static final GuestRuntime NONE = new GuestRuntime(OptionalLong.empty(), Optional.empty(), Optional.empty());

    public GuestRuntime {
        Objects.requireNonNull(pid, "pid");
        Objects.requireNonNull(qmpStatus, "qmpStatus");
        Objects.requireNonNull(exitCause, "exitCause");
        Objects.requireNonNull(oomKills, "oomKills");
        if (oomKills.isPresent() && oomKills.getAsLong() < 0) {
            throw new IllegalArgumentException("oomKills must not be negative, got " + oomKills.getAsLong());
        }
        Objects.requireNonNull(confinement, "confinement");
    }

    public GuestRuntime(OptionalLong pid, Optional<String> qmpStatus, Optional<String> exitCause, boolean unrecorded, OptionalLong oomKills) {
        this(pid, qmpStatus, exitCause, unrecorded, oomKills, Optional.empty());
    }

    public GuestRuntime(OptionalLong pid, Optional<String> qmpStatus, Optional<String> exitCause, boolean unrecorded) {
        this(pid, qmpStatus, exitCause, unrecorded, OptionalLong.empty());
    }

    public GuestRuntime(OptionalLong pid, Optional<String> qmpStatus, Optional<String> exitCause) {
        this(pid, qmpStatus, exitCause, false);
    }

    /** The same facts, marked as found without qfence's record. */
    public GuestRuntime asUnrecorded() {
        return new GuestRuntime(pid, qmpStatus, exitCause, true, oomKills, confinement);
    }

    /** The same facts with the VM cgroup's OOM-kill count as observed. */
    public GuestRuntime withOomKills(OptionalLong count) {
        return new GuestRuntime(pid, qmpStatus, exitCause, unrecorded, count, confinement);
    }

    /** The same facts with the confinement read from {@code /proc}. */
    public GuestRuntime withConfinement(Optional<GuestConfinement> read) {
        return new GuestRuntime(pid, qmpStatus, exitCause, unrecorded, oomKills, read);
    }

    /** QEMU is still at {@code -S}: it was spawned and never continued. */
    public boolean prelaunch() {
        return qmpStatus.filter(s -> s.startsWith("prelaunch")).isPresent();
    }
}
