package io.qfence.daemon;

import java.util.Locale;

/** What started a cycle. */
public enum Trigger {
    /** The daemon started: fetch and check the host at once. */
    STARTUP(true),
    /** The timer: fetch when the poll interval is due, check the host when the drift interval or an expiry is. */
    SCHEDULE(false),
    /** A signed {@code POST /hooks/git}: fetch now (unless backing off). */
    WEBHOOK(false),
    /** {@code qfence suspend}, {@code resume} or {@code approve} changed a control file: decide again now. */
    CONTROL(true),
    /** {@code qfence reconcile --once}: one full cycle. */
    ONCE(true);

    private final boolean checksHost;

    Trigger(boolean checksHost) {
        this.checksHost = checksHost;
    }

    /** Whether this trigger checks the host whatever the drift interval says. */
    public boolean checksHost() {
        return checksHost;
    }

    /** How the journal names it, e.g. {@code webhook}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
