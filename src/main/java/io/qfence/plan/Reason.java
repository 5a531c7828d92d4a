package io.qfence.plan;

import java.util.List;
import java.util.Objects;

/**
 * Why a change is in the plan. For display and for review only: the action says what happens, the reason says why a
 * human should expect it. Each reason has a stable {@link #code()} for machines and a {@link #text()} for people.
 */
public sealed interface Reason {

    String code();

    String text();

    /** The object is desired and was never on the host. */
    record New() implements Reason {
        @Override
        public String code() {
            return "new";
        }

        @Override
        public String text() {
            return "new";
        }
    }

    /** The object is on the host and no longer in the desired state. */
    record Removed() implements Reason {
        @Override
        public String code() {
            return "removed";
        }

        @Override
        public String text() {
            return "removed from desired state";
        }
    }

    /**
     * The host was changed outside qfence and the desired state was not: the change only restores what qfence last
     * applied (or what it can tell was never its doing, such as a crashed guest).
     *
     * @param detail e.g. {@code changed outside qfence}, {@code guest crashed: killed by SIGKILL}
     */
    record Drifted(String detail) implements Reason {
        public static final String CHANGED_OUTSIDE = "changed outside qfence";
        public static final String DELETED_OUTSIDE = "deleted outside qfence";
        public static final String CREATED_OUTSIDE = "created outside qfence";

        public Drifted {
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public String code() {
            return "drift";
        }

        @Override
        public String text() {
            return "drift: " + detail;
        }
    }

    /** The desired state changed since the last apply (known from the record of that apply). */
    record DesiredChange() implements Reason {
        @Override
        public String code() {
            return "changed";
        }

        @Override
        public String text() {
            return "changed in desired state";
        }
    }

    /**
     * The host differs from the desired state and there is no record of the last apply to tell whether the desired
     * state or the host moved (e.g. {@code plan --observed} in CI).
     */
    record Differs() implements Reason {
        @Override
        public String code() {
            return "differs";
        }

        @Override
        public String text() {
            return "differs from desired state";
        }
    }

    /**
     * A running guest's configuration changed: it must be restarted to take effect.
     *
     * @param fields e.g. {@code memory 64Mi -> 96Mi}
     */
    record RequiresRestart(List<String> fields) implements Reason {
        public RequiresRestart {
            fields = List.copyOf(fields);
            if (fields.isEmpty()) {
                throw new IllegalArgumentException("a restart needs at least one changed field");
            }
        }

        @Override
        public String code() {
            return "requires_restart";
        }

        @Override
        public String text() {
            return "config change requires restart: " + String.join(", ", fields);
        }
    }

    /**
     * The object itself is unchanged but something it depends on is replaced or deleted, e.g. a running guest whose
     * tap is recreated, or a port whose bridge is recreated and must be re-attached.
     *
     * @param cause e.g. {@code group.web/vm.web-01/tap is replaced}
     */
    record Cascade(String cause) implements Reason {
        public Cascade {
            Objects.requireNonNull(cause, "cause");
        }

        @Override
        public String code() {
            return "cascade";
        }

        @Override
        public String text() {
            return "follows a dependency: " + cause;
        }
    }

    /**
     * The first of two firewall transactions: only what narrows access (new restrictions, grants taken away), so that
     * everything the change takes away is gone before anything it gives is there.
     */
    record NarrowingFirst() implements Reason {
        @Override
        public String code() {
            return "narrowing_first";
        }

        @Override
        public String text() {
            return "narrowing first: what widens access follows in a later transaction";
        }
    }

    /**
     * The object is something an apply that was interrupted (killed, crashed) left behind on its way, e.g. a link
     * under a temporary name (DESIGN.md §5): it is qfence's, nothing wants it, and it is removed.
     */
    record Interrupted() implements Reason {
        @Override
        public String code() {
            return "interrupted";
        }

        @Override
        public String text() {
            return "left behind by an interrupted apply";
        }
    }

    /**
     * A guest whose start an apply did not finish (it was killed between spawning QEMU and recording or continuing
     * it): a QEMU of qfence's, left at {@code -S} or running without qfence's record. It is qfence's own doing, never
     * drift "outside qfence"; the plan finishes it (adopts a running guest that matches, restarts one left paused,
     * stops one that is not wanted or runs another configuration). DESIGN.md §9.
     *
     * @param detail what was found, e.g. {@code left paused at -S (pid 1908)}
     */
    record InterruptedStart(String detail) implements Reason {
        public InterruptedStart {
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public String code() {
            return "interrupted_start";
        }

        @Override
        public String text() {
            return "interrupted start: " + detail;
        }
    }

    Reason NEW = new New();
    Reason INTERRUPTED = new Interrupted();
    Reason REMOVED = new Removed();
    Reason DESIRED_CHANGE = new DesiredChange();
    Reason DIFFERS = new Differs();
    Reason NARROWING_FIRST = new NarrowingFirst();

    static Reason drift(String detail) {
        return new Drifted(detail);
    }
}
