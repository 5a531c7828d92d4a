package io.qfence.platform.netlink;

import io.qfence.model.MacAddress;
import io.qfence.model.host.PortFlags;
import io.qfence.platform.os.NetlinkSocket;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNamespace;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Captures real kernel replies once, as fixtures for {@link ReplyDecodingTest}: run with
 * {@code -Dtest=KernelReplyCapture -Dqfence.capture=true}, then review and commit the files it writes under
 * {@code src/test/resources/golden/netlink/replies/}. Everything happens in a private namespace.
 */
@RequiresHost(tools = "ip")
@EnabledIfSystemProperty(named = "qfence.capture", matches = "true")
class KernelReplyCapture {

    @Test
    void capture() {
        try (TestNamespace ns = TestNamespace.create(); RtnlClient rtnl = RtnlClient.open(ns.netns())) {
            rtnl.createBridge("qfb-cap", BridgeOptions.DEFAULTS.withMtu(1400).withMac(MacAddress.parse("02:00:00:00:00:01")));
            rtnl.createVethPair("qfp-a", "qfp-b");
            ns.witness("ip", "tuntap", "add", "dev", "qft-cap", "mode", "tap", "user", "4321", "group", "8765");
            LinkBatch batch = rtnl.batch()
                    .setMaster("qfp-a", "qfb-cap").setMaster("qft-cap", "qfb-cap")
                    .setBridgePortFlags("qfp-a", new PortFlags(true, false, true))
                    .setAlias("qfb-cap", "qfence:group.cap/bridge").setUp("qfb-cap")
                    .addAddress("qfb-cap", InterfaceAddress.parse("10.10.0.1/24"))
                    .addAddress("qfb-cap", InterfaceAddress.parse("fd00:10::1/64"));
            for (int i = 0; i < 30; i++) {
                batch.createVethPair("qfx-" + i, "qfy-" + i);
            }
            batch.execute().orThrow();
            int bridgeIndex = rtnl.link("qfb-cap").orElseThrow().index();

            try (NetlinkSocket socket = ns.netns().call(() -> NetlinkSocket.open(NetlinkSocket.NETLINK_ROUTE))) {
                socket.enableExtendedAcks();
                socket.setReceiveTimeout(Duration.ofSeconds(5));
                save(socket, "links-dump.hex", "RTM_GETLINK dump, seq 1: 65 links (lo, qfb-cap, qfp-a/b, qft-cap, 30 veth pairs) in several datagrams",
                        Requests.dumpLinks().encode(1), true);
                save(socket, "addresses-dump.hex", "RTM_GETADDR dump, seq 1", Requests.dumpAddresses().encode(1), true);
                save(socket, "error-eexist.hex", "create bridge qfb-cap again, seq 1: EEXIST",
                        Requests.newBridge("qfb-cap", BridgeOptions.DEFAULTS).encode(1), false);
                save(socket, "error-vlan-unsupported.hex", "create vlan qfv-10 on qfb-cap, seq 1: EOPNOTSUPP with extended ACK",
                        Requests.newVlan("qfv-10", "qfb-cap", bridgeIndex, 10).encode(1), false);
                MessageWriter w = new MessageWriter();
                Requests.setUp("qfp-a", true).encode(w, 1);
                Requests.setUp("qfb-nope", true).encode(w, 2);
                Requests.setMtu("qfb-cap", 1300).encode(w, 3);
                save(socket, "batch-acks.hex", "batch of 3, seqs 1..3: set qfp-a up (ack), set qfb-nope up (ENODEV), set mtu (ack)",
                        w.toByteArray(), false, 3);
            }
        }
    }

    private static void save(NetlinkSocket socket, String file, String comment, byte[] request, boolean dump) {
        save(socket, file, comment, request, dump, 1);
    }

    private static void save(NetlinkSocket socket, String file, String comment, byte[] request, boolean dump, int acks) {
        ByteBuffer out = ByteBuffer.allocateDirect(request.length);
        out.put(request).flip();
        socket.send(out);
        List<byte[]> datagrams = new ArrayList<>();
        int seen = 0;
        boolean done = false;
        while (!done) {
            ByteBuffer in = ByteBuffer.allocateDirect(NetlinkChannel.RECEIVE_BUFFER_BYTES);
            socket.receive(in);
            byte[] bytes = new byte[in.limit()];
            in.get(0, bytes);
            datagrams.add(bytes);
            in.position(0);
            for (NetlinkMessage m : NetlinkMessage.parseAll(in)) {
                if (dump ? m.type() == Rtnl.NLMSG_DONE : m.type() == Rtnl.NLMSG_ERROR) {
                    seen++;
                }
            }
            done = seen >= (dump ? 1 : acks);
        }
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < datagrams.size(); i++) {
            if (i > 0) {
                body.append("--\n");
            }
            body.append(Hex.format(datagrams.get(i)));
        }
        Hex.write("replies/" + file, comment + "\ncaptured from Linux " + System.getProperty("os.version") + ", "
                + datagrams.size() + " datagram(s)", body.toString());
    }
}
