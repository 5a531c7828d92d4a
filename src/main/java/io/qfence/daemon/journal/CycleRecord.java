package io.qfence.daemon.journal;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one reconcile cycle did, as one line of the journal. Plain strings and numbers: the journal outlives the
 * classes that produced it, and is read by people and tools ({@code jq}) as much as by qfence.
 *
 * @param trigger    what started the cycle, e.g. {@code schedule}, {@code webhook}, {@code startup}
 * @param revision   the commit the cycle worked on, if it got that far
 * @param planDigest the digest of the plan it computed, if any
 * @param summary    the plan's counts, if a plan was computed
 * @param actions    each action applied, in order, with its result and duration
 * @param drift      each difference found between the last applied state and the host
 * @param errors     what went wrong, one message each
 * @param notes      what else a reader of the journal should know, one sentence each: why the cycle ran (an
 *                   exception expired), why it did not apply (suspended, awaiting approval), which revision waits
 */
public record CycleRecord(Instant startedAt, long durationMillis, String trigger, Outcome outcome,
                          Optional<String> revision, Optional<String> planDigest, Optional<PlanSummary> summary,
                          List<ActionResult> actions, List<Drift> drift, List<String> errors,
                          @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> notes) {

    public CycleRecord {
        Objects.requireNonNull(startedAt, "startedAt");
        if (durationMillis < 0) {
            throw new IllegalArgumentException("durationMillis must be >= 0, got " + durationMillis);
        }
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(planDigest, "planDigest");
        Objects.requireNonNull(summary, "summary");
        actions = List.copyOf(actions);
        drift = List.copyOf(drift);
        errors = List.copyOf(errors);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /** A record without notes. */
    public CycleRecord(Instant startedAt, long durationMillis, String trigger, Outcome outcome,
                       Optional<String> revision, Optional<String> planDigest, Optional<PlanSummary> summary,
                       List<ActionResult> actions, List<Drift> drift, List<String> errors) {
        this(startedAt, durationMillis, trigger, outcome, revision, planDigest, summary, actions, drift, errors,
                List.of());
    }

    /** How a cycle ended. */
    public enum Outcome {
        /** Changes were applied successfully. */
        APPLIED,
        /** The host already matched the desired state. */
        NO_CHANGES,
        /** The revision was not admitted (signatures, history rewrite), or the plan was refused; nothing applied. */
        REFUSED,
        /** Something failed: fetch, load, observe, plan or an action. */
        FAILED,
        /**
         * A new revision widens access and waits for {@code qfence approve REV} ({@code --auto-apply=narrowing}), or
         * any new revision does ({@code --auto-apply=none}); nothing of it applied.
         */
        AWAITING_APPROVAL,
        /** The cycle did not run: suspended, backing off, or the state lock was held. */
        SKIPPED
    }

    /** The plan's counts, Terraform-style. */
    public record PlanSummary(int add, int change, int destroy) {
        public PlanSummary {
            if (add < 0 || change < 0 || destroy < 0) {
                throw new IllegalArgumentException("plan counts must be >= 0");
            }
        }
    }

    /**
     * @param address e.g. {@code group.web/bridge}
     * @param action  e.g. {@code create}, {@code update}, {@code delete}
     * @param result  {@code ok}, {@code failed} or {@code skipped}
     */
    public record ActionResult(String address, String action, String result, long durationMillis,
                               Optional<String> error) {
        public ActionResult {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(result, "result");
            Objects.requireNonNull(error, "error");
            if (durationMillis < 0) {
                throw new IllegalArgumentException("durationMillis must be >= 0, got " + durationMillis);
            }
        }
    }

    /**
     * @param kind   the kind of object that drifted, e.g. {@code link}, {@code firewall}, {@code cgroup}, {@code guest}
     * @param healed whether this cycle put it back
     */
    public record Drift(String address, String kind, boolean healed) {
        public Drift {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(kind, "kind");
        }
    }
}
