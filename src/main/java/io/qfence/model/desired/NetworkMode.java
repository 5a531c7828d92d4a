package io.qfence.model.desired;

/**
 * {@code BRIDGED}: a tap on the group's bridge, policed by the host firewall. {@code USER}: QEMU's user-mode
 * (slirp) stack; the guest's traffic leaves as the QEMU process's own sockets, so it is policed by that VM's uid.
 */
public enum NetworkMode {
    BRIDGED, USER
}
