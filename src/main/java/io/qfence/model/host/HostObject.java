package io.qfence.model.host;

import java.util.SortedMap;

/**
 * Something on a host that qfence owns: realization produces these, observation produces the same types, and the
 * planner compares them by {@link #address()} and {@link #attributes()}.
 *
 * <p>The closed set of kinds is what a plan can ever touch; anything else on the host is foreign.
 */
public sealed interface HostObject permits Sysctl, Link, Firewall, Cgroup, Guest {

    /** Stable, human-readable identity, e.g. {@code group.web/vm.web-01/tap}. Plans are sorted by it. */
    String address();

    /**
     * What the planner compares and what a plan shows as before and after, with stable keys. Observation-only data
     * (pids, ifindexes, counters) is never part of it, so it can never show up as drift.
     */
    SortedMap<String, String> attributes();
}
