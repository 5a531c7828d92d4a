package io.qfence.platform.netlink;

import io.qfence.model.host.Capability;
import java.util.Optional;

/**
 * An operation needs a kernel feature this host lacks. The message names the kernel option to enable
 * ({@link Capability#requirement()}), so an operator knows what to change; the errno is the kernel's
 * ({@code EOPNOTSUPP}) when the kernel itself refused, or {@code EOPNOTSUPP} when qfence knew beforehand.
 */
final class MissingCapabilityException extends NetlinkException {

    private final Capability capability;

    public MissingCapabilityException(String operation, Capability capability, Optional<String> kernelMessage) {
        super(operation + ": this kernel lacks " + describe(capability) + "; enable " + capability.requirement()
                        + kernelMessage.map(m -> " (kernel says: " + m + ")").orElse(""),
                operation, EOPNOTSUPP, kernelMessage);
        this.capability = capability;
    }

    public Capability capability() {
        return capability;
    }

    private static String describe(Capability c) {
        return switch (c) {
            case VLAN_8021Q -> "802.1Q VLAN devices";
            case BRIDGE_VLAN_FILTERING -> "bridge VLAN filtering";
            case BRIDGE -> "bridge devices";
            case VETH -> "veth devices";
            case TUN -> "tun/tap devices";
            case BR_NETFILTER -> "br_netfilter";
            default -> c.name();
        };
    }
}
