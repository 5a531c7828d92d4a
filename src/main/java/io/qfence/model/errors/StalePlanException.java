package io.qfence.model.errors;

import java.util.Objects;

/**
 * A saved plan was made from another observed state than the host has now: applying it could undo or repeat what
 * happened in between, so it is refused and a new plan must be made. The digests are those of the observed objects
 * ({@code sha256:HEX}).
 */
public final class StalePlanException extends QfenceException {

    private static final long serialVersionUID = 1L;

    private final String plannedFrom;
    private final String observedNow;

    public StalePlanException(String plannedFrom, String observedNow) {
        super("the plan was made for the host as observed at " + plannedFrom + ", but the host is now " + observedNow
                + "; make a new plan");
        this.plannedFrom = Objects.requireNonNull(plannedFrom, "plannedFrom");
        this.observedNow = Objects.requireNonNull(observedNow, "observedNow");
    }

    public String plannedFrom() {
        return plannedFrom;
    }

    public String observedNow() {
        return observedNow;
    }
}
