package io.qfence.model.host;

/** The kinds of link qfence creates. {@code VLAN} needs 802.1Q, which not every kernel has. */
public enum LinkKind {
    BRIDGE, TAP, VLAN, VETH
}
