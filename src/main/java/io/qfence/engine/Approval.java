package io.qfence.engine;

import io.qfence.plan.Plan;
import java.util.List;

/** Decides, once the plan is known and the state lock is held, whether to apply it (a person at a prompt, or not). */
@FunctionalInterface
public interface Approval {

    /**
     * @param warnings what a person should read with the plan: the desired state's and the realization's warnings
     */
    boolean approve(Plan plan, List<String> warnings);

    /** {@code --auto-approve}, and the daemon. */
    Approval AUTO = (plan, warnings) -> true;
}
