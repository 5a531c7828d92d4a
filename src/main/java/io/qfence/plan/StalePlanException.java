package io.qfence.plan;

/**
 * A saved plan was made from another observed state than the host has now: applying it could undo or repeat what
 * happened in between, so it is refused and a new plan must be made.
 */
public final class StalePlanException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String plannedFrom;
    private final String observedNow;

    public StalePlanException(String plannedFrom, String observedNow) {
        super("the plan was made for the host as observed at " + plannedFrom + ", but the host is now " + observedNow
                + "; make a new plan");
        this.plannedFrom = plannedFrom;
        this.observedNow = observedNow;
    }

    public String plannedFrom() {
        return plannedFrom;
    }

    public String observedNow() {
        return observedNow;
    }
}
