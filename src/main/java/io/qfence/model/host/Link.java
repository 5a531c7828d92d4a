package io.qfence.model.host;

import io.qfence.model.InterfaceNames;
import io.qfence.model.MacAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A network link: a group's bridge, a VM's tap, or the uplink VLAN of a group.
 *
 * @param addresses  interface addresses in {@code ADDRESS/PREFIX} form, sorted (e.g. the gateway {@code 10.10.0.1/24})
 * @param ownerUid   for taps: the uid allowed to attach (TUNSETOWNER)
 * @param vlanId     for VLAN links: the 802.1Q id
 * @param vlanParent for VLAN links: the uplink they are stacked on
 * @param portFlags  for bridge ports: the flags qfence sets
 */
public record Link(
        String address,
        LinkKind kind,
        String name,
        Optional<String> master,
        Optional<MacAddress> mac,
        int mtu,
        boolean up,
        List<String> addresses,
        OptionalLong ownerUid,
        OptionalLong ownerGid,
        OptionalInt vlanId,
        Optional<String> vlanParent,
        Optional<PortFlags> portFlags) implements HostObject {

    public Link {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > InterfaceNames.MAX_LENGTH || !name.startsWith(InterfaceNames.OWNED_PREFIX)) {
            throw new IllegalArgumentException("link name '" + name + "' must start with '" + InterfaceNames.OWNED_PREFIX
                    + "' and have at most " + InterfaceNames.MAX_LENGTH + " bytes");
        }
        Objects.requireNonNull(master, "master");
        Objects.requireNonNull(mac, "mac");
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("link " + name + ": mtu must be 68..65535, got " + mtu);
        }
        addresses = addresses.stream().sorted().toList();
        Objects.requireNonNull(ownerUid, "ownerUid");
        Objects.requireNonNull(ownerGid, "ownerGid");
        Objects.requireNonNull(vlanId, "vlanId");
        Objects.requireNonNull(vlanParent, "vlanParent");
        Objects.requireNonNull(portFlags, "portFlags");
    }

    /** The same link attached to another master (or to none), e.g. a port after its bridge was deleted. */
    public Link withMaster(Optional<String> newMaster) {
        return new Link(address, kind, name, newMaster, mac, mtu, up, addresses, ownerUid, ownerGid, vlanId, vlanParent, portFlags);
    }

    /** The alias that marks the link as qfence's. */
    public String alias() {
        return Addresses.linkAlias(address);
    }

    @Override
    public SortedMap<String, String> attributes() {
        SortedMap<String, String> a = new TreeMap<>();
        a.put("kind", kind.name().toLowerCase(java.util.Locale.ROOT));
        a.put("name", name);
        master.ifPresent(m -> a.put("master", m));
        mac.ifPresent(m -> a.put("mac", m.toString()));
        a.put("mtu", Integer.toString(mtu));
        a.put("up", Boolean.toString(up));
        if (!addresses.isEmpty()) {
            a.put("addresses", String.join(", ", addresses));
        }
        ownerUid.ifPresent(u -> a.put("owner_uid", Long.toString(u)));
        ownerGid.ifPresent(g -> a.put("owner_gid", Long.toString(g)));
        vlanId.ifPresent(v -> a.put("vlan_id", Integer.toString(v)));
        vlanParent.ifPresent(p -> a.put("vlan_parent", p));
        portFlags.ifPresent(f -> {
            a.put("port.isolated", Boolean.toString(f.isolated()));
            a.put("port.learning", Boolean.toString(f.learning()));
            a.put("port.neigh_suppress", Boolean.toString(f.neighSuppress()));
        });
        return a;
    }
}
