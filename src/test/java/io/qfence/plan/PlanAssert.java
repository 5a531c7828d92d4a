package io.qfence.plan;

import io.qfence.model.host.HostObject;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions that read like the plan they check:
 * {@code assertThat(plan).stops("group.web/vm.web-01").before("group.web/vm.web-01/tap")}.
 * Steps are written {@code "SYMBOL ADDRESS"}, as a text plan shows them: {@code "-/+ group.web/vm.web-01/tap"}.
 */
public final class PlanAssert extends AbstractAssert<PlanAssert, Plan> {

    private PlanAssert(Plan actual) {
        super(actual, PlanAssert.class);
    }

    public static PlanAssert assertThat(Plan plan) {
        return new PlanAssert(plan);
    }

    static String step(Change c) {
        return c.action().symbol() + " " + c.address();
    }

    private List<String> steps() {
        return actual.changes().stream().map(PlanAssert::step).toList();
    }

    public PlanAssert isEmpty() {
        isNotNull();
        if (!actual.isEmpty()) {
            failWithMessage("Expected an empty plan but it has %d changes:%n  %s", actual.changes().size(), String.join("\n  ", steps()));
        }
        return this;
    }

    public PlanAssert isNotEmpty() {
        isNotNull();
        if (actual.isEmpty()) {
            failWithMessage("Expected changes but the plan is empty");
        }
        return this;
    }

    /** Exactly these steps, in this order. */
    public PlanAssert hasActionsInOrder(String... expected) {
        isNotNull();
        List<String> actualSteps = steps();
        if (!actualSteps.equals(List.of(expected))) {
            failWithMessage("Expected the plan to be, in order:%n  %s%nbut it was:%n  %s", String.join("\n  ", expected),
                    String.join("\n  ", actualSteps));
        }
        return this;
    }

    /** These steps appear in this relative order (others may come between). */
    public PlanAssert hasActionsInRelativeOrder(String... expected) {
        isNotNull();
        List<String> actualSteps = steps();
        int from = 0;
        for (String s : expected) {
            int at = actualSteps.subList(from, actualSteps.size()).indexOf(s);
            if (at < 0) {
                failWithMessage("Expected %s after position %d in:%n  %s", s, from, String.join("\n  ", actualSteps));
            }
            from += at + 1;
        }
        return this;
    }

    public PlanAssert hasSummary(int add, int change, int destroy, int start, int stop) {
        isNotNull();
        Summary s = actual.summary();
        if (!s.equals(new Summary(add, change, destroy, start, stop))) {
            failWithMessage("Expected %s but was %s", new Summary(add, change, destroy, start, stop).line(), s.line());
        }
        return this;
    }

    public PlanAssert hasNoChangeFor(String address) {
        isNotNull();
        List<String> found = actual.changes().stream().filter(c -> c.address().equals(address)).map(PlanAssert::step).toList();
        if (!found.isEmpty()) {
            failWithMessage("Expected no change for %s but found %s", address, found);
        }
        return this;
    }

    /** Exactly these addresses are reported as drift. */
    public PlanAssert hasDriftOn(String... addresses) {
        isNotNull();
        List<String> drift = actual.drift().stream().map(Change::address).distinct().sorted().toList();
        if (!drift.equals(List.of(addresses).stream().sorted().toList())) {
            failWithMessage("Expected drift on %s but it was on %s", List.of(addresses), drift);
        }
        return this;
    }

    public ChangeAssert creates(String address) {
        return change(Action.CREATE, address);
    }

    public ChangeAssert updates(String address) {
        return change(Action.UPDATE, address);
    }

    public ChangeAssert deletes(String address) {
        return change(Action.DELETE, address);
    }

    public ChangeAssert replaces(String address) {
        isNotNull();
        return find(address, c -> c.action().isReplace(), "replace");
    }

    public ChangeAssert starts(String address) {
        return change(Action.START, address);
    }

    public ChangeAssert stops(String address) {
        return change(Action.STOP, address);
    }

    public ChangeAssert change(Action action, String address) {
        isNotNull();
        return find(address, c -> c.action() == action, action.symbol());
    }

    private ChangeAssert find(String address, Predicate<Change> p, String what) {
        for (int i = 0; i < actual.changes().size(); i++) {
            Change c = actual.changes().get(i);
            if (c.address().equals(address) && p.test(c)) {
                return new ChangeAssert(this, c, i);
            }
        }
        failWithMessage("Expected %s %s in the plan:%n  %s", what, address, String.join("\n  ", steps()));
        throw new AssertionError("unreachable");
    }

    /** Every fail-closed ordering rule holds; see {@link PlanInvariants}. */
    public PlanAssert isFailClosed(List<HostObject> desired, List<HostObject> observed) {
        isNotNull();
        List<String> violations = PlanInvariants.violations(actual, desired, observed);
        if (!violations.isEmpty()) {
            failWithMessage("Expected a fail-closed plan but:%n  %s%nplan:%n  %s", String.join("\n  ", violations), String.join("\n  ", steps()));
        }
        return this;
    }

    /** Assertions on one change, found by action and address. */
    public static final class ChangeAssert extends AbstractAssert<ChangeAssert, Change> {
        private final PlanAssert plan;
        private final int index;

        private ChangeAssert(PlanAssert plan, Change change, int index) {
            super(change, ChangeAssert.class);
            this.plan = plan;
            this.index = index;
        }

        private Optional<Integer> firstIndexOf(String address) {
            List<Change> all = plan.actual.changes();
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).address().equals(address)) {
                    return Optional.of(i);
                }
            }
            return Optional.empty();
        }

        /** This change runs before every change of {@code address} (which has at least one). */
        public ChangeAssert before(String address) {
            List<Change> all = plan.actual.changes();
            firstIndexOf(address).orElseThrow(() -> new AssertionError("no change for " + address + " in the plan"));
            for (int i = 0; i <= index; i++) {
                if (all.get(i).address().equals(address) && i != index) {
                    failWithMessage("Expected %s to run before %s but it runs after step %d (%s)", step(actual), address, i, step(all.get(i)));
                }
            }
            return this;
        }

        /** This change runs after every change of {@code address} (which has at least one). */
        public ChangeAssert after(String address) {
            List<Change> all = plan.actual.changes();
            firstIndexOf(address).orElseThrow(() -> new AssertionError("no change for " + address + " in the plan"));
            for (int i = index; i < all.size(); i++) {
                if (all.get(i).address().equals(address) && i != index) {
                    failWithMessage("Expected %s to run after %s but it runs before step %d (%s)", step(actual), address, i, step(all.get(i)));
                }
            }
            return this;
        }

        public ChangeAssert withReason(String text) {
            if (!actual.reason().text().equals(text)) {
                failWithMessage("Expected %s with reason <%s> but the reason was <%s>", step(actual), text, actual.reason().text());
            }
            return this;
        }

        public ChangeAssert asDrift() {
            if (!actual.drift()) {
                failWithMessage("Expected %s to be drift", step(actual));
            }
            return this;
        }

        public ChangeAssert notAsDrift() {
            if (actual.drift()) {
                failWithMessage("Expected %s not to be drift", step(actual));
            }
            return this;
        }

        public ChangeAssert forcedBy(String... attributes) {
            if (!actual.forcesReplacement().equals(new java.util.TreeSet<>(List.of(attributes)))) {
                failWithMessage("Expected %s forced by %s but was %s", step(actual), List.of(attributes), actual.forcesReplacement());
            }
            return this;
        }

        public ChangeAssert atStep(int step) {
            if (index != step) {
                failWithMessage("Expected %s at step %d but it is at step %d", step(actual), step, index);
            }
            return this;
        }

        public PlanAssert and() {
            return plan;
        }
    }
}
