package io.qfence.model.host;

import java.util.Objects;

/**
 * One nft rule in canonical form (see DESIGN.md §7): {@code expr} is the libnftables JSON {@code expr} array exactly
 * as normalization produces it, so equal rules are equal strings.
 *
 * @param comment the rule's nft comment, naming its origin for humans (e.g. {@code qf:exception:web:3})
 * @param effect  whether the rule grants access; known for realized rules only (observed rules are
 *                {@link Effect#UNKNOWN}), and deliberately not part of {@link #equals}: it is a property of the
 *                planner's reasoning, not of the kernel's state
 */
public record NftRule(String expr, String comment, Effect effect) {

    public enum Effect {
        /** Accepts traffic that would otherwise be dropped (exceptions, intra-group allow, DNAT, masquerade). */
        GRANT,
        /** Drops or restricts (anti-spoofing, default drops, per-uid drops). */
        RESTRICT,
        /** Neither, e.g. {@code ct state established,related accept} or a jump. */
        NEUTRAL,
        /** Read from the kernel, whose rules do not say. */
        UNKNOWN
    }

    public NftRule {
        Objects.requireNonNull(expr, "expr");
        if (!expr.startsWith("[") || !expr.endsWith("]")) {
            throw new IllegalArgumentException("rule expr must be a JSON array, got: " + expr);
        }
        Objects.requireNonNull(comment, "comment");
        Objects.requireNonNull(effect, "effect");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NftRule r && r.expr.equals(expr) && r.comment.equals(comment);
    }

    @Override
    public int hashCode() {
        return Objects.hash(expr, comment);
    }
}
