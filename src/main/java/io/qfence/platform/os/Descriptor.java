package io.qfence.platform.os;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open file descriptor that qfence owns, e.g. a tap's, to be handed to a child process. Always close-on-exec in
 * qfence itself: a child receives it only through an explicit {@link Spawner.FdAction.Inherit}.
 */
public final class Descriptor implements AutoCloseable {

    private final int number;
    private final String describes;
    private final AtomicBoolean closed = new AtomicBoolean();

    Descriptor(int number, String describes) {
        if (number < 0) {
            throw new IllegalArgumentException("descriptor must be >= 0, got " + number);
        }
        this.number = number;
        this.describes = describes;
    }

    /** The descriptor number in this process. */
    public int number() {
        if (closed.get()) {
            throw new IllegalStateException("descriptor of " + describes + " is closed");
        }
        return number;
    }

    /** What the descriptor refers to, e.g. {@code tap qft-web-01}, for messages. */
    public String describes() {
        return describes;
    }

    public boolean isOpen() {
        return !closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            OsNative.check(OsNative.LIBC.close(number), "close " + describes);
        }
    }

    @Override
    public String toString() {
        return "fd " + number + " (" + describes + (closed.get() ? ", closed)" : ")");
    }
}
