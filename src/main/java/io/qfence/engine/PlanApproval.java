package io.qfence.engine;

import io.qfence.model.host.HostFacts;
import io.qfence.plan.Plan;
import java.util.List;

/** Decides, once the plan is known and the state lock is held, whether to apply it (a person at a prompt, or not). */
@FunctionalInterface
public interface PlanApproval {

    /**
     * @param warnings what a person should read with the plan: the desired state's and the realization's warnings
     */
    boolean approve(Plan plan, List<String> warnings);

    /**
     * As {@link #approve(Plan, List)}, told which host facts the plan was made for (observed on the host), so that a
     * person is shown them at the top of the plan as {@code qfence plan} shows them. The engine calls this one.
     */
    default boolean approve(Plan plan, List<String> warnings, HostFacts facts) {
        return approve(plan, warnings);
    }

    /**
     * Whether the answer may be no (a person is asked). Then the plan is made without the state lock, so that a "no"
     * writes nothing at all (not even the lock file), and on "yes" the lock is taken and the host observed again: the
     * approved plan is applied only if the host is still exactly as planned against.
     */
    default boolean asks() {
        return false;
    }

    /** A person at a prompt: {@code answer} shows the plan and returns their answer. */
    static PlanApproval asking(PlanApproval answer) {
        return new PlanApproval() {
            @Override
            public boolean approve(Plan plan, List<String> warnings) {
                return answer.approve(plan, warnings);
            }

            @Override
            public boolean approve(Plan plan, List<String> warnings, HostFacts facts) {
                return answer.approve(plan, warnings, facts);
            }

            @Override
            public boolean asks() {
                return true;
            }
        };
    }

    /** {@code --auto-approve}, and the daemon. */
    PlanApproval AUTO = (plan, warnings) -> true;
}
