package io.qfence.model.desired;

import java.util.Objects;
import java.util.Optional;

/** The group's entry point: a VM of the group, optionally exposed on a host port. */
public record Bastion(String vm, Optional<Exposure> expose) {

    public Bastion {
        Names.requireDnsLabel("vm", vm);
        Objects.requireNonNull(expose, "expose");
    }
}
