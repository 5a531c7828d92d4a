package io.qfence.engine;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How long each phase of a cycle took, measured with the monotonic clock.
 *
 * @param load    reading and validating the desired state
 * @param facts   learning the host's facts (cgroup version, capabilities; probed once per process)
 * @param realize computing the host objects and the policy
 * @param observe reading the host
 * @param plan    comparing and ordering
 * @param apply   empty when nothing was applied
 */
public record Timings(Duration load, Duration facts, Duration realize, Duration observe, Duration plan, Optional<Duration> apply) {

    public Timings {
        Objects.requireNonNull(load, "load");
        Objects.requireNonNull(facts, "facts");
        Objects.requireNonNull(realize, "realize");
        Objects.requireNonNull(observe, "observe");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(apply, "apply");
    }

    public Duration total() {
        return load.plus(facts).plus(realize).plus(observe).plus(plan).plus(apply.orElse(Duration.ZERO));
    }

    Timings withApply(Duration took) {
        return new Timings(load, facts, realize, observe, plan, Optional.of(took));
    }
}
