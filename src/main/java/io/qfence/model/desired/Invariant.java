package io.qfence.model.desired;

import io.qfence.model.Origin;
import java.util.Objects;

/**
 * One isolation rule committed beside the desired state ({@code policies/*.yaml}, {@code kind: Policy}): a name
 * unique across every policy file, the reason a reviewer reads, and its statement.
 *
 * @param origin where the invariant's entry starts (its {@code name:} line), which every violation names
 */
public record Invariant(String name, String reason, InvariantRule rule, Origin origin) {

    public Invariant {
        Names.requireDnsLabel("invariant", name);
        Objects.requireNonNull(reason, "reason");
        if (reason.isBlank()) {
            throw new IllegalArgumentException("invariant " + name + ": the reason must not be blank");
        }
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(origin, "origin");
    }

    /** {@code db-not-from-internet (policies/isolation.yaml:9)}: how violations name it. */
    public String reference() {
        return name + " (" + origin.file() + ":" + origin.line() + ")";
    }
}
