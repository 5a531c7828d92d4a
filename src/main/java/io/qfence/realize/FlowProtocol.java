package io.qfence.realize;

import io.qfence.model.desired.Protocol;
import java.util.Locale;

/** The protocol of a flow: one of the exception protocols, or {@code ANY} for intra-group and egress allowances. */
public enum FlowProtocol {
    ANY, TCP, UDP, ICMP;

    public static FlowProtocol of(Protocol p) {
        return switch (p) {
            case TCP -> TCP;
            case UDP -> UDP;
            case ICMP -> ICMP;
        };
    }

    /** True for the protocols that carry ports (TCP and UDP). */
    public boolean hasPorts() {
        return this == TCP || this == UDP;
    }

    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }
}
