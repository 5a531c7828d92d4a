package io.qfence.platform.netlink;

import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.errors.HostPortException;
import io.qfence.platform.os.NetNamespace;

/**
 * Links that are not qfence's own, in one network namespace: the loopback and the veth uplink, with its addresses and
 * routes, that {@code verify}'s sandbox wires for itself ({@code host.LinkPort} changes only qfence's links). Every
 * failure is the ports' {@link HostPortException} (port {@code links}, naming the link), translated here at this
 * adapter's edge as {@code LinkPort}'s are, so that a sandbox that cannot be set up says so in the model's words.
 */
public final class PlainLinks implements AutoCloseable {

    private final RtnlClient rtnl;

    private PlainLinks(RtnlClient rtnl) {
        this.rtnl = rtnl;
    }

    /** @throws HostPortException (port {@code host}) when the netlink socket cannot be opened in {@code netns} */
    public static PlainLinks open(NetNamespace netns) throws HostPortException {
        return new PlainLinks(RtnlClient.open(netns));
    }

    public void setUp(String link) throws HostPortException {
        LinkPortEdge.run(LinkPortEdge.object(link), () -> rtnl.setUp(link));
    }

    /** A veth pair: {@code name} here, {@code peer} created directly in {@code peerNamespace}. */
    public void createVethPair(String name, String peer, NetNamespace peerNamespace) throws HostPortException {
        LinkPortEdge.run(LinkPortEdge.object(name), () -> rtnl.createVethPair(name, peer, peerNamespace));
    }

    /** @param cidr an interface address with its prefix length, e.g. {@code 203.0.113.1/24} */
    public void addAddress(String link, String cidr) throws HostPortException {
        InterfaceAddress address = InterfaceAddress.parse(cidr);
        LinkPortEdge.run(LinkPortEdge.object(link), () -> rtnl.addAddress(link, address));
    }

    public void addRoute(Ipv4Cidr destination, Ipv4Address via, String link) throws HostPortException {
        LinkPortEdge.run(LinkPortEdge.object(link), () -> rtnl.addRoute(destination, via, link));
    }

    @Override
    public void close() {
        rtnl.close();
    }
}
