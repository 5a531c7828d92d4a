package io.qfence.apply;

import io.qfence.model.errors.HostOperationException;
import io.qfence.plan.Action;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an apply did: the steps that completed (with their post-conditions verified), in the order they completed,
 * and the failure that stopped it, if any. Steps after a failure never ran.
 */
public record ApplyReport(int planned, List<Completed> completed, Optional<HostOperationException> failure, Duration took) {

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
