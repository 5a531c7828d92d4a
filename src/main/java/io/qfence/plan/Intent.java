package io.qfence.plan;

import io.qfence.model.host.HostObject;
import java.util.Optional;
import java.util.SortedSet;

/**
 * What the planner decided for one object, before ordering. A replacement (or guest restart) is one intent that the
 * ordering may keep whole or split in two changes, when something must happen between its halves.
 */
record Intent(
        String address,
        ObjectKind kind,
        Action action,
        Optional<HostObject> before,
        Optional<HostObject> after,
        Reason reason,
        boolean drift,
        SortedSet<String> forces,
        FirewallRole firewallRole) {

    /** Where a firewall transaction goes in the order; see {@link ExecutionOrder}. */
    enum FirewallRole {
        /** Not a firewall change. */
        NONE,
        /** Creates the ruleset or only narrows it: runs before everything else. */
        FIRST,
        /** Gives new access: runs once networks and cgroups are in place, and before any guest starts. */
        WIDEN,
        /** Removes the ruleset: runs after everything else. */
        LAST
    }

    boolean removes() {
        return action == Action.DELETE || action.isReplace();
    }

    Change toChange() {
        return new Change(address, action, before, after, reason, drift, forces);
    }
}
