package io.qfence.plan.diff;

import java.util.Objects;
import java.util.Optional;

/**
 * A change to something a reviewer of isolation cares about besides flows: a group's VLAN, subnets, egress and
 * limits; a VM's lifecycle (added, removed, running or stopped), size and limits; which groups a host runs.
 *
 * @param subject e.g. {@code group web}, {@code vm web-01}, {@code host hv1}
 * @param setting e.g. {@code vlan}, {@code limits.memory}, {@code lifecycle}
 * @param before  absent when the setting (or its subject) did not exist
 * @param after   absent when it no longer exists
 */
public record SettingChange(String subject, String setting, Optional<String> before, Optional<String> after) {

    public SettingChange {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        if (before.equals(after)) {
            throw new IllegalArgumentException(subject + " " + setting + ": a change needs different values");
        }
    }

    /** {@code group web: vlan 10 -> 11}; {@code vm web-03: lifecycle (none) -> running}. */
    @Override
    public String toString() {
        return subject + ": " + setting + " " + before.orElse("(none)") + " -> " + after.orElse("(none)");
    }
}
