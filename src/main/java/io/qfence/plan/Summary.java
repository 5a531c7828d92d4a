package io.qfence.plan;

import java.util.List;

/**
 * How many objects a plan adds, changes, destroys, starts and stops. A replacement counts once as added and once as
 * destroyed, as in Terraform; a guest restart counts once as stopped and once as started (its disk is never destroyed).
 */
public record Summary(int add, int change, int destroy, int start, int stop) {

    public static final Summary NONE = new Summary(0, 0, 0, 0, 0);

    public Summary {
        if (add < 0 || change < 0 || destroy < 0 || start < 0 || stop < 0) {
            throw new IllegalArgumentException("counts cannot be negative");
        }
    }

    public static Summary of(List<Change> changes) {
        int add = 0, change = 0, destroy = 0, start = 0, stop = 0;
        for (Change c : changes) {
            boolean guest = c.kind() == ObjectKind.GUEST;
            switch (c.action()) {
                case CREATE -> add++;
                case UPDATE -> change++;
                case DELETE -> destroy++;
                case START -> start++;
                case STOP -> stop++;
                case REPLACE_DELETE_BEFORE_CREATE, REPLACE_CREATE_BEFORE_DELETE -> {
                    if (guest) {
                        start++;
                        stop++;
                    } else {
                        add++;
                        destroy++;
                    }
                }
            }
        }
        return new Summary(add, change, destroy, start, stop);
    }

    public int total() {
        return add + change + destroy + start + stop;
    }

    /** {@code Plan: 3 to add, 1 to change, 2 to destroy, 2 to start, 0 to stop.} */
    public String line() {
        return "Plan: " + add + " to add, " + change + " to change, " + destroy + " to destroy, " + start + " to start, "
                + stop + " to stop.";
    }
}
