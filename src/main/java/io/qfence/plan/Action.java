package io.qfence.plan;

import java.util.List;

/**
 * The closed set of things a plan can do to one host object, after Terraform's {@code plans.Action}.
 *
 * <p>For a guest, a replacement means "stop it, then start it with the new configuration": a guest's disk images
 * are never deleted, so its JSON spelling is {@code ["stop","start"]} rather than {@code ["delete","create"]}, and a
 * consumer that scans a plan for {@code delete} never mistakes a restart for a destruction.
 */
public enum Action {
    CREATE("+", "created"),
    UPDATE("~", "updated in place"),
    DELETE("-", "destroyed"),
    /** The object cannot be changed in place and cannot coexist with its replacement (e.g. a tap of the same name). */
    REPLACE_DELETE_BEFORE_CREATE("-/+", "replaced"),
    /** The replacement can exist next to the old object (e.g. a link under a new name): create it, then delete. */
    REPLACE_CREATE_BEFORE_DELETE("+/-", "replaced"),
    START(">", "started"),
    STOP("<", "stopped");

    private final String symbol;
    private final String participle;

    Action(String symbol, String participle) {
        this.symbol = symbol;
        this.participle = participle;
    }

    /** The symbol in text plans: {@code +}, {@code ~}, {@code -}, {@code -/+}, {@code +/-}, {@code >}, {@code <}. */
    public String symbol() {
        return symbol;
    }

    /** "will be ..." in a text plan header. */
    String participle() {
        return participle;
    }

    public boolean isReplace() {
        return this == REPLACE_DELETE_BEFORE_CREATE || this == REPLACE_CREATE_BEFORE_DELETE;
    }

    /**
     * How the JSON plan writes the action: an array, so that a consumer can look for {@code "delete"} and find every
     * change that destroys something, whatever its shape.
     */
    public List<String> jsonNames(ObjectKind kind) {
        return switch (this) {
            case CREATE -> List.of("create");
            case UPDATE -> List.of("update");
            case DELETE -> List.of("delete");
            case REPLACE_DELETE_BEFORE_CREATE -> kind == ObjectKind.GUEST ? List.of("stop", "start") : List.of("delete", "create");
            case REPLACE_CREATE_BEFORE_DELETE -> List.of("create", "delete");
            case START -> List.of("start");
            case STOP -> List.of("stop");
        };
    }

    /** Inverse of {@link #jsonNames}, for reading saved plans. */
    static Action fromJsonNames(List<String> names, ObjectKind kind) {
        for (Action a : values()) {
            if (a.jsonNames(kind).equals(names)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown actions " + names + " for a " + kind.jsonName());
    }
}
