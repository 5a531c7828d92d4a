package io.qfence.model.desired;

import java.util.Objects;
import java.util.Optional;

/**
 * The group's entry point: a VM of the group, optionally exposed on a host port.
 *
 * @param sshToGroup whether the bastion may open TCP connections to port 22 of every VM of its group: the way in that
 *                   {@code qfence ssh} takes (ProxyJump through the bastion). Spelled out in the group's policy so that
 *                   it is a visible flow of its own ({@code bastion:GROUP}), even where {@code intraGroup: allow}
 *                   already covers it, and so that a group with {@code intraGroup: deny} can still be administered.
 */
public record Bastion(String vm, Optional<Exposure> expose, boolean sshToGroup) {

    public Bastion {
        Names.requireDnsLabel("vm", vm);
        Objects.requireNonNull(expose, "expose");
    }

    /** A bastion that reaches no VM of its group by itself (what intraGroup and exceptions allow still applies). */
    public Bastion(String vm, Optional<Exposure> expose) {
        this(vm, expose, false);
    }
}
