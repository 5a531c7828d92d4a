package io.qfence.daemon.notify;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One thing worth telling someone about, on one host.
 *
 * @param subject  what it is about, stable while the condition lasts (a revision, a VM, an exception, the set of
 *                 drifted objects): with the event and host it makes the {@link #dedupeKey()}
 * @param revision the commit it concerns, if one
 * @param message  a sentence for people
 * @param at       the daemon's time
 */
public record Notice(NoticeEvent event, String host, String subject, Optional<String> revision, String message,
                     Instant at) {

    public Notice {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(at, "at");
    }

    /** At most one message per key within the dedupe window: {@code HOST/EVENT/SUBJECT}. */
    public String dedupeKey() {
        return host + "/" + event.wire() + "/" + subject;
    }
}
