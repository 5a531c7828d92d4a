package io.qfence.daemon.notify;

/** The daemon's verdict about a revision, as a commit status on the forge shows it. */
public enum RevisionState {
    /** Applied on this host (or it already matched). */
    APPLIED,
    /** Applying it failed; it is retried with back-off. */
    APPLY_FAILED,
    /** Its signatures or its history were refused. */
    REFUSED,
    /** It does not validate, breaks an invariant, or cannot be realized on this host. */
    INVALID,
    /** It widens access and waits for {@code qfence approve}. */
    AWAITING_APPROVAL,
    /** It is admitted, and waits for {@code qfence resume}. */
    SUSPENDED
}
