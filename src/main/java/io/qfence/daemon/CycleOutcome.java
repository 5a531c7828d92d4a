package io.qfence.daemon;

import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.journal.CycleRecord.PlanSummary;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one cycle found and did. Plain journal values (addresses, action names, messages): the daemon records them as
 * they are.
 *
 * @param planDigest    a digest identifying the plan (e.g. of the observed and desired digests), if one was made
 * @param summary       the plan's counts, if one was made
 * @param actions       each action applied, in order, with its result and duration; empty in plan-only mode
 * @param drift         each difference that only undoes an edit made outside qfence, and whether it was healed
 * @param errors        what failed; empty when the cycle succeeded
 * @param applyDuration how long applying took, when something was applied
 * @param observation   what the cycle observed on the host, if it got that far
 */
public record CycleOutcome(Optional<String> planDigest, Optional<PlanSummary> summary, List<ActionResult> actions,
                           List<Drift> drift, List<String> errors, Optional<Duration> applyDuration,
                           Optional<HostObservation> observation) {

    public CycleOutcome {
        Objects.requireNonNull(planDigest, "planDigest");
        Objects.requireNonNull(summary, "summary");
        actions = List.copyOf(actions);
        drift = List.copyOf(drift);
        errors = List.copyOf(errors);
        Objects.requireNonNull(applyDuration, "applyDuration");
        Objects.requireNonNull(observation, "observation");
    }

    /** A cycle that failed before it could plan. */
    public static CycleOutcome failed(String error) {
        return new CycleOutcome(Optional.empty(), Optional.empty(), List.of(), List.of(), List.of(error),
                Optional.empty(), Optional.empty());
    }

    public boolean succeeded() {
        return errors.isEmpty();
    }

    /** Whether some action changed the host (successfully or not). */
    public boolean changedHost() {
        return actions.stream().anyMatch(a -> !"skipped".equals(a.result()));
    }
}
