package io.qfence.engine;

import io.qfence.apply.ApplyReport;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Plan;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of one reconcile cycle.
 *
 * @param host     the host reconciled
 * @param revision the desired state's revision (a commit id, or {@code dir:PATH})
 * @param desired  the realization, limited to the cycle's scope
 * @param observed the host as observed before planning
 * @param warnings for people: the desired state's warnings ({@code FILE:LINE:COL: warning: ...}), the realization's,
 *                 and the cycle's own (e.g. an unreadable record of the last apply)
 * @param applied  what the apply did, when the cycle applied (also when it failed)
 */
public record Cycle(String host, String revision, EngineOutcome outcome, List<HostObject> desired, ObservedHost observed, Plan plan,
                    List<String> warnings, Optional<ApplyReport> applied, Timings timings) {

    /** How the cycle ended. */
    public enum EngineOutcome {
        /** Planned only (no apply was asked for). */
        PLANNED,
        /** The host already matches the desired state. */
        NO_CHANGES,
        /** The plan has errors (e.g. a foreign link holds a name qfence needs); nothing was applied. */
        NOT_APPLICABLE,
        /** The approval said no; nothing was applied. */
        DECLINED,
        /** Every change was applied and verified. */
        APPLIED,
        /** A step failed; the steps before it were applied, none after it. */
        FAILED
    }

    public Cycle {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(outcome, "outcome");
        desired = List.copyOf(desired);
        Objects.requireNonNull(observed, "observed");
        Objects.requireNonNull(plan, "plan");
        warnings = List.copyOf(warnings);
        Objects.requireNonNull(applied, "applied");
        Objects.requireNonNull(timings, "timings");
    }

    public boolean failed() {
        return outcome == EngineOutcome.FAILED || outcome == EngineOutcome.NOT_APPLICABLE;
    }
}
