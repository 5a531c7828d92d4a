package io.qfence.plan;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * An ordered list of changes that takes a host from what was observed to what is desired.
 *
 * @param host           the host the plan is for
 * @param changes        in execution order: applying them one by one, in this order, is fail-closed
 * @param warnings       things the plan does not touch but a human should know (e.g. foreign look-alikes)
 * @param errors         why the plan cannot be applied (e.g. a name qfence needs is taken by a foreign link); a plan
 *                       with errors must not be applied
 * @param observedDigest {@code sha256:HEX} of the canonical JSON of the observed objects (runtime facts such as pids
 *                       and counters excluded): an apply refuses the plan when the host no longer matches it
 * @param desiredDigest  {@code sha256:HEX} of the canonical JSON of the desired objects
 */
public record Plan(String host, List<Change> changes, List<String> warnings, List<String> errors, String observedDigest, String desiredDigest) {

    public Plan {
        Objects.requireNonNull(host, "host");
        changes = List.copyOf(changes);
        warnings = List.copyOf(warnings);
        errors = List.copyOf(errors);
        Digests.requireDigest("observedDigest", observedDigest);
        Digests.requireDigest("desiredDigest", desiredDigest);
    }

    /** No change at all: the host matches the desired state. */
    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public boolean isApplicable() {
        return errors.isEmpty();
    }

    public Summary summary() {
        return Summary.of(changes);
    }

    /** The changes that only undo what was done outside qfence, in execution order. */
    public List<Change> drift() {
        return changes.stream().filter(Change::drift).toList();
    }

    /** The changes the desired state makes, in execution order. */
    public List<Change> desiredChanges() {
        return changes.stream().filter(c -> !c.drift()).toList();
    }

    /** The changes sorted by address (then execution order), as the JSON plan lists them. */
    public List<Change> changesByAddress() {
        return java.util.stream.IntStream.range(0, changes.size()).boxed()
                .sorted(Comparator.comparing((Integer i) -> changes.get(i).address()).thenComparing(i -> i))
                .map(changes::get).toList();
    }

    /** The position of a change in execution order, from 0. */
    public int stepOf(Change change) {
        for (int i = 0; i < changes.size(); i++) {
            if (changes.get(i) == change) {
                return i;
            }
        }
        throw new IllegalArgumentException("change of " + change.address() + " is not in this plan");
    }
}
