package io.qfence.model.host;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What observation learns about a guest's process. Never compared by the planner.
 *
 * @param qmpStatus  QMP {@code query-status} status, e.g. {@code running} or {@code prelaunch}
 * @param exitCause  for a crashed guest: why, e.g. {@code killed by SIGKILL; 1 OOM kill in its cgroup}
 */
public record GuestRuntime(OptionalLong pid, Optional<String> qmpStatus, Optional<String> exitCause) {

    public static final GuestRuntime NONE = new GuestRuntime(OptionalLong.empty(), Optional.empty(), Optional.empty());

    public GuestRuntime {
        Objects.requireNonNull(pid, "pid");
        Objects.requireNonNull(qmpStatus, "qmpStatus");
        Objects.requireNonNull(exitCause, "exitCause");
    }
}
