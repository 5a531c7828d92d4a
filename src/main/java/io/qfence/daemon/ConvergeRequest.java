package io.qfence.daemon;

import io.qfence.model.desired.DesiredState;
import java.time.Instant;
import java.util.Objects;

/**
 * What the daemon asks of one cycle.
 *
 * @param host  the host to reconcile, a host of {@code state}
 * @param state the desired state to converge to: a new revision, or the last applied one when healing drift
 * @param mode  whether to change the host
 * @param now   the daemon's clock at the start of the cycle; "today" for exceptions that expire is its UTC date
 */
public record ConvergeRequest(String host, DesiredState state, Mode mode, Instant now) {

    public ConvergeRequest {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(now, "now");
    }

    public enum Mode {
        /** Observe, plan and apply the plan: a new revision, drift healed, expired exceptions removed. */
        APPLY,
        /** Observe and plan only, to report drift: while suspended. Nothing on the host changes. */
        PLAN_ONLY
    }
}
