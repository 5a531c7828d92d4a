package io.qfence.platform.netlink;

import io.qfence.model.MacAddress;
import io.qfence.model.host.Capability;
import io.qfence.model.host.PortFlags;
import io.qfence.platform.os.NetNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Link changes collected and then sent many per datagram ({@link #execute()}), for scale: creating or enslaving
 * hundreds of links costs a few system calls instead of hundreds of round trips.
 *
 * <p>Requests run in the order they were added. The kernel handles each one even when an earlier one failed, so
 * every request gets its own outcome. Requests that need another link's index (a master, a VLAN parent, the link of
 * an address) are resolved when they are sent, after everything before them has been applied, so a batch may
 * create a bridge and then enslave a port to it.
 */
public final class LinkBatch {

    private final RtnlClient client;
    private final List<LinkStep> steps = new ArrayList<>();

    LinkBatch(RtnlClient client) {
        this.client = client;
    }

    private LinkBatch add(NetlinkRequest request) {
        steps.add(new LinkStep(request.operation(), List.of(), indexes -> request, request.needs()));
        return this;
    }

    private LinkBatch add(String operation, List<String> names, Function<int[], NetlinkRequest> build, Optional<Capability> needs) {
        steps.add(new LinkStep(operation, List.copyOf(names), build, needs));
        return this;
    }

    public int size() {
        return steps.size();
    }

    public LinkBatch createBridge(String name, BridgeOptions options) {
        return add(Requests.newBridge(requireName(name), options));
    }

    /** A veth pair with both ends in this namespace. */
    public LinkBatch createVethPair(String name, String peerName) {
        return add(Requests.newVethPair(requireName(name), requireName(peerName), OptionalInt.empty()));
    }

    /**
     * A veth pair whose peer is created directly inside {@code peerNamespace}. The namespace must stay open until
     * the batch has run (its descriptor goes into the request).
     */
    public LinkBatch createVethPair(String name, String peerName, NetNamespace peerNamespace) {
        requireName(name);
        requireName(peerName);
        Objects.requireNonNull(peerNamespace, "peerNamespace");
        // The descriptor is read when the request is sent, so a namespace closed meanwhile fails loudly instead of
        // sending a stale (possibly reused) fd number.
        return add("create veth pair " + name + "/" + peerName + " (peer in another namespace)", List.of(),
                idx -> Requests.newVethPair(name, peerName, OptionalInt.of(peerNamespace.descriptor())), Optional.of(Capability.VETH));
    }

    /** An 802.1Q sub-interface of {@code parent}. Needs {@code CONFIG_VLAN_8021Q}. */
    public LinkBatch createVlan(String name, String parent, int vlanId) {
        requireName(name);
        return add("create vlan " + name + " (id " + vlanId + " on " + parent + ")", List.of(parent),
                idx -> Requests.newVlan(name, parent, idx[0], vlanId), Optional.of(Capability.VLAN_8021Q));
    }

    public LinkBatch setMaster(String name, String master) {
        return add("set master of " + name + " to " + master, List.of(master),
                idx -> Requests.setMaster(name, master, idx[0]), Optional.empty());
    }

    public LinkBatch clearMaster(String name) {
        return add(Requests.clearMaster(name));
    }

    public LinkBatch setUp(String name) {
        return add(Requests.setUp(name, true));
    }

    public LinkBatch setDown(String name) {
        return add(Requests.setUp(name, false));
    }

    public LinkBatch setMtu(String name, int mtu) {
        return add(Requests.setMtu(name, mtu));
    }

    public LinkBatch setMac(String name, MacAddress mac) {
        return add(Requests.setMac(name, mac));
    }

    /** Sets {@code IFLA_IFALIAS} (qfence's ownership mark); an empty alias removes it. */
    public LinkBatch setAlias(String name, String alias) {
        return add(Requests.setAlias(name, alias));
    }

    /**
     * Gives the link now named {@code currentName} its final name and qfence's alias in one request (see
     * {@link RtnlClient#renameWithAlias}); the link is addressed by its index, looked up when the batch is sent.
     */
    public LinkBatch renameWithAlias(String currentName, String newName, String alias) {
        requireName(currentName);
        requireName(newName);
        Objects.requireNonNull(alias, "alias");
        return add("rename " + currentName + " to " + newName + " with alias " + alias, List.of(currentName),
                idx -> Requests.renameWithAlias(idx[0], currentName, newName, alias), Optional.empty());
    }

    /** Moves the link into netdev group {@code group} (see {@link RtnlClient#deleteGroup}). */
    public LinkBatch setGroup(String name, int group) {
        return add(Requests.setGroup(name, group));
    }

    /** Bridge-port flags of a link that is enslaved to a bridge. */
    public LinkBatch setBridgePortFlags(String name, PortFlags flags) {
        return add(Requests.setPortFlags(name, Objects.requireNonNull(flags, "flags")));
    }

    public LinkBatch addAddress(String name, InterfaceAddress address) {
        return add("add address " + address + " to " + name, List.of(name),
                idx -> Requests.newAddress(name, idx[0], address), Optional.empty());
    }

    /** An IPv4 route to {@code destination} through {@code gateway} on link {@code name}, e.g. a default route. */
    public LinkBatch addRoute(io.qfence.model.Ipv4Cidr destination, io.qfence.model.Ipv4Address gateway, String name) {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(gateway, "gateway");
        return add("add route " + destination + " via " + gateway + " dev " + name, List.of(name),
                idx -> Requests.newRoute(destination, gateway, name, idx[0]), Optional.empty());
    }

    public LinkBatch removeAddress(String name, InterfaceAddress address) {
        return add("remove address " + address + " from " + name, List.of(name),
                idx -> Requests.deleteAddress(name, idx[0], address), Optional.empty());
    }

    /** Adds VLANs to a bridge port. Needs {@code CONFIG_BRIDGE_VLAN_FILTERING}. */
    public LinkBatch addBridgeVlans(String port, List<BridgeVlan> vlans) {
        List<BridgeVlan> copy = List.copyOf(vlans);
        return add("add bridge VLANs to " + port, List.of(port),
                idx -> Requests.bridgeVlans(port, idx[0], copy, true), Optional.of(Capability.BRIDGE_VLAN_FILTERING));
    }

    public LinkBatch removeBridgeVlans(String port, List<BridgeVlan> vlans) {
        List<BridgeVlan> copy = List.copyOf(vlans);
        return add("remove bridge VLANs from " + port, List.of(port),
                idx -> Requests.bridgeVlans(port, idx[0], copy, false), Optional.of(Capability.BRIDGE_VLAN_FILTERING));
    }

    /** Deletes a link (a veth's peer goes with it; a bridge's ports are released, not deleted). */
    public LinkBatch deleteLink(String name) {
        return add(Requests.deleteLink(name));
    }

    /** Sends everything and returns each request's outcome; never throws for a kernel refusal. */
    public BatchResult execute() {
        List<BatchResult.RequestOutcome> outcomes = client.run(steps);
        steps.clear();
        return new BatchResult(outcomes);
    }

    static String requireName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 15 || name.contains("/")
                || name.chars().anyMatch(c -> c <= ' ' || c == ':') || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("invalid link name '" + name + "': 1..15 bytes, no '/', ':' or whitespace");
        }
        return name;
    }
}
