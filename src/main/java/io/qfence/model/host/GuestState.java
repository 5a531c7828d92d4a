package io.qfence.model.host;

/**
 * A guest's lifecycle state. Desired guests are only {@code RUNNING} or {@code STOPPED}; observation may also find a
 * guest {@code PAUSED} (e.g. left at {@code -S} by an interrupted start) or {@code CRASHED} (its process ended
 * without qfence stopping it: a crash, an OOM kill, a kill by hand).
 */
public enum GuestState {
    RUNNING, PAUSED, STOPPED, CRASHED
}
