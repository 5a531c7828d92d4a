package io.qfence.apply;

import io.qfence.plan.Change;
import java.util.Objects;

/**
 * One change of a plan as it is applied.
 *
 * @param number from 1, in execution order
 * @param total  the number of changes in the plan
 */
public record Step(int number, int total, Change change) {

    public Step {
        if (number < 1 || number > total) {
            throw new IllegalArgumentException("step " + number + " of " + total);
        }
        Objects.requireNonNull(change, "change");
    }

    /** {@code [3/28]}. */
    public String counter() {
        return "[" + number + "/" + total + "]";
    }
}
