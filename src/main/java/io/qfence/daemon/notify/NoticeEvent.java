package io.qfence.daemon.notify;

import java.util.Locale;

/** What the notification webhook tells about: a closed set, named in each message's {@code event}. */
public enum NoticeEvent {
    APPLY_FAILED, REVISION_REFUSED, AWAITING_APPROVAL, DRIFT_FOUND, DRIFT_HEALED, GUEST_CRASHED, GUEST_OOM_KILLED,
    EXCEPTION_EXPIRED;

    /** The event's name in messages, headers and metrics: {@code apply_failed}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
