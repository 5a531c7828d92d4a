package io.qfence.platform.netlink;

import io.qfence.model.MacAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Optional settings for a new bridge. {@code vlanFiltering} needs {@code CONFIG_BRIDGE_VLAN_FILTERING}.
 */
public record BridgeOptions(Optional<MacAddress> mac, OptionalInt mtu, boolean vlanFiltering) {

    public static final BridgeOptions DEFAULTS = new BridgeOptions(Optional.empty(), OptionalInt.empty(), false);

    public BridgeOptions {
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(mtu, "mtu");
        mtu.ifPresent(m -> {
            if (m < 68 || m > 65535) {
                throw new IllegalArgumentException("bridge mtu must be 68..65535, got " + m);
            }
        });
    }

    public BridgeOptions withMac(MacAddress mac) {
        return new BridgeOptions(Optional.of(mac), mtu, vlanFiltering);
    }

    public BridgeOptions withMtu(int mtu) {
        return new BridgeOptions(mac, OptionalInt.of(mtu), vlanFiltering);
    }

    public BridgeOptions withVlanFiltering(boolean on) {
        return new BridgeOptions(mac, mtu, on);
    }
}
