package io.qfence.platform.netlink;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of every request of a batch, in the order they were added. Which request failed, and how, is this
 * package's to know (its exceptions never leave it); callers outside ask only whether all succeeded.
 */
public final class BatchResult {

    private final List<RequestOutcome> outcomes;

    /** One request: what it did, and the kernel's refusal if it refused. */
    record RequestOutcome(String operation, Optional<NetlinkException> failure) {
        RequestOutcome {
            Objects.requireNonNull(operation, "operation");
            Objects.requireNonNull(failure, "failure");
        }

        boolean succeeded() {
            return failure.isEmpty();
        }
    }

    BatchResult(List<RequestOutcome> outcomes) {
        this.outcomes = List.copyOf(outcomes);
    }

    List<RequestOutcome> outcomes() {
        return outcomes;
    }

    public boolean succeeded() {
        return outcomes.stream().allMatch(RequestOutcome::succeeded);
    }

    List<NetlinkException> failures() {
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
