package io.qfence.platform.qemu;

import java.util.Objects;

/**
 * QMP {@code query-status}: {@code status} is QEMU's run state, e.g. {@code prelaunch} (started with {@code -S}),
 * {@code running}, {@code paused}, {@code shutdown}, {@code internal-error}.
 */
public record QmpStatus(String status, boolean running) {
    public QmpStatus {
        Objects.requireNonNull(status, "status");
    }
}
