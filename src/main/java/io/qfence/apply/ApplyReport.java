package io.qfence.apply;

import io.qfence.model.errors.HostOperationException;
import io.qfence.plan.Action;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an apply did: the steps that completed (with their post-conditions verified), in the order they completed,
 * the first failure that stopped it, if any, and how many steps failed (guests start in parallel, so several starts
 * can fail; a batch of links fails together). Steps after a failure never ran.
 */
public record ApplyReport(int planned, List<Completed> completed, Optional<HostOperationException> failure, int failedSteps,
                          Duration took) {

    /** With one failed step when there is a failure. */
    public ApplyReport(int planned, List<Completed> completed, Optional<HostOperationException> failure, Duration took) {
        this(planned, completed, failure, failure.isPresent() ? 1 : 0, took);
    }

    /** Steps that never ran: after a failure, nothing runs (guests already starting in parallel finish their start). */
    public int notRun() {
        return planned - completed.size() - failedSteps;
    }

    /** A step that completed. */
    public record Completed(int number, String address, Action action, Duration took) {
        public Completed {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(took, "took");
        }
    }

    public ApplyReport {
        completed = List.copyOf(completed);
        Objects.requireNonNull(failure, "failure");
        if (failedSteps < 0 || failedSteps + completed.size() > planned || failure.isPresent() != (failedSteps > 0)) {
            throw new IllegalArgumentException("inconsistent report: " + completed.size() + " completed, " + failedSteps
                    + " failed of " + planned);
        }
        Objects.requireNonNull(took, "took");
    }

    public boolean succeeded() {
        return failure.isEmpty();
    }

    /** @throws HostOperationException the failure that stopped the apply */
    public ApplyReport orThrow() {
        if (failure.isPresent()) {
            throw failure.get();
        }
        return this;
    }
}
