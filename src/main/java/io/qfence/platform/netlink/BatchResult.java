package io.qfence.platform.netlink;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The outcome of every request of a batch, in the order they were added. */
public record BatchResult(List<RequestOutcome> outcomes) {

    /** One request: what it did, and the kernel's refusal if it refused. */
    public record RequestOutcome(String operation, Optional<NetlinkException> failure) {
        public RequestOutcome {
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(failure, "failure");
        }

        public boolean succeeded() {
            return failure.isEmpty();
        }
    }

    public BatchResult {
        outcomes = List.copyOf(outcomes);
    }

    public boolean succeeded() {
        return outcomes.stream().allMatch(RequestOutcome::succeeded);
    }

    public List<NetlinkException> failures() {
        return outcomes.stream().flatMap(o -> o.failure().stream()).toList();
    }

    /**
     * Throws the first failure (with the others attached as suppressed), so a single-request batch throws exactly
     * the kernel's error for it.
     */
    public void orThrow() {
        List<NetlinkException> failures = failures();
        if (failures.isEmpty()) {
            return;
        }
        NetlinkException first = failures.get(0);
        for (NetlinkException other : failures.subList(1, failures.size())) {
            first.addSuppressed(other);
        }
        throw first;
    }
}
