package io.qfence.platform.netlink;

import java.util.Objects;
import java.util.Optional;

/**
 * An address as the kernel reports it ({@code RTM_NEWADDR}).
 *
 * @param linkIndex the interface it sits on; join with {@link LinkInfo#index()}
 * @param scope     {@code RT_SCOPE_*}: 0 universe, 253 link, 254 host
 * @param flags     {@code IFA_F_*} (from {@code IFA_FLAGS} when present, which holds all 32 bits)
 * @param label     the IPv4 label ({@code IFA_LABEL}), usually the interface name
 */
public record AddressInfo(int linkIndex, InterfaceAddress address, int scope, int flags, Optional<String> label) {

    public static final int IFA_F_TENTATIVE = 0x40;
    public static final int IFA_F_PERMANENT = 0x80;

    public AddressInfo {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(label, "label");
    }

    public boolean isLinkLocal() {
        return scope == 253;
    }
}
