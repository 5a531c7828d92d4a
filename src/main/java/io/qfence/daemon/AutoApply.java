package io.qfence.daemon;

/** {@code --auto-apply}: which admitted revisions the daemon applies without an operator's {@code qfence approve}. */
public enum AutoApply {
    /** Every admitted revision. */
    ALL,
    /**
     * Revisions that only narrow access, or leave it as it is: the reachability relation of the new revision's
     * realization holds no flow that the applied revision's does not. A revision that widens it waits for
     * {@code qfence approve REV}. With nothing applied yet, every flow is new: the first revision needs approval.
     */
    NARROWING,
    /** None: every new revision waits for {@code qfence approve REV}. Drift is still healed. */
    NONE
}
