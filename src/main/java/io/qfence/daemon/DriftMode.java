package io.qfence.daemon;

/**
 * What a host check does with drift (a difference that only undoes an edit made outside qfence): {@code --drift}.
 * A new revision's apply, and the removal of an expired exception, are full plans in either mode, so they put drift
 * back with them (reported as healed); only the checks between revisions differ.
 */
public enum DriftMode {
    /** Put the host back (the default). */
    HEAL,
    /** Plan, journal, count and notify the drift, and leave the host as it is; {@code qfence status} shows it. */
    REPORT
}
