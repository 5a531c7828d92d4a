package io.qfence.platform.netlink;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * What the kernel reports about a tun/tap device ({@code IFLA_INFO_DATA} of kind {@code tun}).
 *
 * @param tap       {@code IFF_TAP} (Ethernet frames) rather than {@code IFF_TUN} (IP packets)
 * @param ownerUid  the uid allowed to attach ({@code TUNSETOWNER}); absent when unrestricted
 * @param ownerGid  the gid allowed to attach ({@code TUNSETGROUP}); absent when unrestricted
 * @param persist   survives its last file descriptor ({@code TUNSETPERSIST})
 */
public record TunInfo(boolean tap, OptionalLong ownerUid, OptionalLong ownerGid, boolean persist, boolean vnetHeader,
                      boolean packetInfo, boolean multiQueue) {

    public TunInfo {
        Objects.requireNonNull(ownerUid, "ownerUid");
        Objects.requireNonNull(ownerGid, "ownerGid");
    }
}
