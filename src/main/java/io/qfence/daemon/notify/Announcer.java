package io.qfence.daemon.notify;

/**
 * The daemon's outbound port: a commit status on the forge after each verdict about a revision, and a notification
 * for each event worth telling. Implementations return at once and never throw for a forge or receiver that fails:
 * a reconcile never waits for, or fails because of, them.
 */
public interface Announcer extends AutoCloseable {

    /** Says nothing to anyone: no forge, no webhook configured. */
    Announcer NONE = new Announcer() {
        @Override
        public void commitStatus(CommitStatus status) {
        }

        @Override
        public void notice(Notice notice) {
        }
    };

    void commitStatus(CommitStatus status);

    void notice(Notice notice);

    @Override
    default void close() {
    }
}
