package io.qfence.platform.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.MacAddress;
import io.qfence.model.host.Capability;
import io.qfence.model.host.LinkKind;
import io.qfence.model.host.PortFlags;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Decoding real kernel replies, captured once by {@link KernelReplyCapture} (Linux 6.18), without a kernel. */
class ReplyDecodingTest {

    private static RtnlClient clientReplaying(ReplayDatagrams replay) {
        return new RtnlClient(new NetlinkChannel(replay), "replay", Optional::empty);
    }

    private static List<ByteBuffer> replies(String file) {
        return Hex.readDatagrams("replies/" + file);
    }

    @Test
    void aDumpSpanningSeveralDatagramsYieldsEveryLinkOnce() {
        List<ByteBuffer> datagrams = replies("links-dump.hex");
        assertThat(datagrams).hasSizeGreaterThan(1);
        ReplayDatagrams replay = new ReplayDatagrams(datagrams);

        List<LinkInfo> links = clientReplaying(replay).links();

        assertThat(replay.remaining()).isZero();
        assertThat(links).hasSize(65).extracting(LinkInfo::name).doesNotHaveDuplicates()
                .contains("lo", "qfb-cap", "qfp-a", "qfp-b", "qft-cap", "qfx-0", "qfy-29");
        assertThat(links).extracting(LinkInfo::index).isSorted();
    }

    @Test
    void aBridgeDecodesWithItsSettings() {
        LinkInfo bridge = find(clientReplaying(new ReplayDatagrams(replies("links-dump.hex"))).links(), "qfb-cap");

        assertThat(bridge.kind()).contains("bridge");
        assertThat(bridge.linkKind()).contains(LinkKind.BRIDGE);
        // Created with mtu 1400, but enslaving 1500-byte ports re-adjusted it: the kernel keeps a bridge's MTU only
        // when it was set on the existing bridge (setMtu), not when it was given at creation.
        assertThat(bridge.mtu()).isEqualTo(1500);
        assertThat(bridge.mac()).contains(MacAddress.parse("02:00:00:00:00:01"));
        assertThat(bridge.alias()).contains("qfence:group.cap/bridge");
        assertThat(bridge.up()).isTrue();
        assertThat(bridge.masterIndex()).isEmpty();
        // reported (as off) even by this kernel, which lacks CONFIG_BRIDGE_VLAN_FILTERING: it reveals nothing about it
        assertThat(bridge.vlanFiltering()).contains(false);
    }

    @Test
    void portsDecodeWithTheirMasterAndFlags() {
        List<LinkInfo> links = clientReplaying(new ReplayDatagrams(replies("links-dump.hex"))).links();
        LinkInfo port = find(links, "qfp-a");

        assertThat(port.kind()).contains("veth");
        assertThat(port.slaveKind()).contains("bridge");
        assertThat(port.masterName()).contains("qfb-cap");
        assertThat(port.masterIndex()).hasValue(find(links, "qfb-cap").index());
        assertThat(port.portFlags()).contains(new PortFlags(true, false, true));
        assertThat(port.linkName()).contains("qfp-b");
        assertThat(find(links, "qfp-b").portFlags()).isEmpty();
    }

    @Test
    void aTapDecodesWithOwnerGroupAndPersistence() {
        LinkInfo tap = find(clientReplaying(new ReplayDatagrams(replies("links-dump.hex"))).links(), "qft-cap");

        assertThat(tap.kind()).contains("tun");
        assertThat(tap.linkKind()).contains(LinkKind.TAP);
        assertThat(tap.tun()).hasValueSatisfying(t -> {
            assertThat(t.tap()).isTrue();
            assertThat(t.ownerUid()).hasValue(4321);
            assertThat(t.ownerGid()).hasValue(8765);
            assertThat(t.persist()).isTrue();
        });
        assertThat(tap.masterName()).contains("qfb-cap");
        assertThat(tap.portFlags()).contains(new PortFlags(false, true, false));
    }

    @Test
    void loopbackHasNoKindAndAZeroMac() {
        LinkInfo lo = find(clientReplaying(new ReplayDatagrams(replies("links-dump.hex"))).links(), "lo");
        assertThat(lo.index()).isEqualTo(1);
        assertThat(lo.kind()).isEmpty();
        assertThat(lo.linkKind()).isEmpty();
        assertThat(lo.mtu()).isEqualTo(65536);
    }

    @Test
    void addressesDecodeForBothFamilies() {
        List<AddressInfo> addresses = clientReplaying(new ReplayDatagrams(replies("addresses-dump.hex"))).addresses();

        assertThat(addresses).extracting(a -> a.address().toString()).contains("10.10.0.1/24", "fd00:10::1/64");
        AddressInfo v4 = addresses.stream().filter(a -> a.address().toString().equals("10.10.0.1/24")).findFirst().orElseThrow();
        assertThat(v4.label()).contains("qfb-cap");
        assertThat(v4.scope()).isZero();
        AddressInfo v6 = addresses.stream().filter(a -> a.address().toString().equals("fd00:10::1/64")).findFirst().orElseThrow();
        assertThat(v6.flags() & AddressInfo.IFA_F_PERMANENT).isNotZero();
        assertThat(v6.flags() & 0x02).as("IFA_F_NODAD").isNotZero();
    }

    @Test
    void anErrorReplyBecomesATypedException() {
        NetlinkChannel channel = new NetlinkChannel(new ReplayDatagrams(replies("error-eexist.hex")));

        assertThatThrownBy(() -> channel.execute(Requests.newBridge("qfb-cap", BridgeOptions.DEFAULTS)))
                .isInstanceOfSatisfying(NetlinkException.class, e -> {
                    assertThat(e.errno()).isEqualTo(17);
                    assertThat(e.errnoName()).isEqualTo("EEXIST");
                    assertThat(e.operation()).isEqualTo("create bridge qfb-cap");
                    assertThat(e.kernelMessage()).isEmpty();
                })
                .hasMessage("create bridge qfb-cap: File exists (EEXIST, errno 17)");
    }

    @Test
    void anExtendedAckMessageIsKeptAndAMissingKindNamesTheKernelOption() {
        NetlinkChannel channel = new NetlinkChannel(new ReplayDatagrams(replies("error-vlan-unsupported.hex")));

        assertThatThrownBy(() -> channel.execute(Requests.newVlan("qfv-10", "qfb-cap", 2, 10)))
                .isInstanceOfSatisfying(MissingCapabilityException.class, e -> {
                    assertThat(e.errno()).isEqualTo(NetlinkException.EOPNOTSUPP);
                    assertThat(e.kernelMessage()).contains("Unknown device type");
                    assertThat(e.capability()).isEqualTo(Capability.VLAN_8021Q);
                })
                .hasMessage("create vlan qfv-10 (id 10 on qfb-cap): this kernel lacks 802.1Q VLAN devices; enable CONFIG_VLAN_8021Q"
                        + " (kernel says: Unknown device type)");
    }

    @Test
    void batchAcksAreMatchedToTheirRequestsBySequenceNumber() {
        NetlinkChannel channel = new NetlinkChannel(new ReplayDatagrams(replies("batch-acks.hex")));

        List<Optional<NetlinkException>> outcomes = channel.executeAll(List.of(
                Requests.setUp("qfp-a", true), Requests.setUp("qfb-nope", true), Requests.setMtu("qfb-cap", 1300)));

        assertThat(outcomes.get(0)).isEmpty();
        assertThat(outcomes.get(1)).hasValueSatisfying(e -> {
            assertThat(e.errno()).isEqualTo(NetlinkException.ENODEV);
            assertThat(e.operation()).isEqualTo("set qfb-nope up");
        });
        assertThat(outcomes.get(2)).isEmpty();
    }

    @Test
    void repliesToOtherRequestsAreSkipped() {
        // A stale ACK (seq 99, from an abandoned conversation) arrives before the answer to our request (seq 1).
        ReplayDatagrams replay = new ReplayDatagrams(withSeq(replies("batch-acks.hex").subList(0, 1), 99))
                .then(replies("error-eexist.hex"));

        assertThatThrownBy(() -> new NetlinkChannel(replay).execute(Requests.newBridge("qfb-cap", BridgeOptions.DEFAULTS)))
                .isInstanceOfSatisfying(NetlinkException.class, e -> assertThat(e.errno()).isEqualTo(17));
        assertThat(replay.remaining()).isZero();
    }

    @Test
    void anInterruptedDumpIsRetried() {
        List<ByteBuffer> interrupted = withFlag(replies("links-dump.hex"), Rtnl.NLM_F_DUMP_INTR);
        ReplayDatagrams replay = new ReplayDatagrams(interrupted).then(withSeq(replies("links-dump.hex"), 2));

        List<LinkInfo> links = clientReplaying(replay).links();

        assertThat(replay.sent).hasSize(2);
        assertThat(links).hasSize(65);
    }

    @Test
    void aDumpInterruptedEveryTimeFails() {
        ReplayDatagrams replay = new ReplayDatagrams(List.of());
        for (int seq = 1; seq <= NetlinkChannel.DUMP_ATTEMPTS; seq++) {
            replay.then(withFlag(withSeq(replies("links-dump.hex"), seq), Rtnl.NLM_F_DUMP_INTR));
        }
        assertThatThrownBy(() -> clientReplaying(replay).links())
                .isInstanceOf(NetlinkException.class).hasMessageContaining("interrupted by concurrent changes");
    }

    private static LinkInfo find(List<LinkInfo> links, String name) {
        return links.stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no " + name));
    }

    /** Copies of the datagrams with every message's sequence number set to {@code seq}. */
    private static List<ByteBuffer> withSeq(List<ByteBuffer> datagrams, int seq) {
        return rewrite(datagrams, (b, at) -> b.putInt(at + 8, seq));
    }

    /** Copies with {@code flag} set on the first message of the first datagram. */
    private static List<ByteBuffer> withFlag(List<ByteBuffer> datagrams, int flag) {
        List<ByteBuffer> copy = rewrite(datagrams, (b, at) -> {});
        ByteBuffer first = copy.get(0);
        first.putShort(6, (short) (first.getShort(6) | flag));
        return copy;
    }

    private interface MessageEdit {
        void apply(ByteBuffer datagram, int messageOffset);
    }

    private static List<ByteBuffer> rewrite(List<ByteBuffer> datagrams, MessageEdit edit) {
        List<ByteBuffer> result = new ArrayList<>();
        for (ByteBuffer d : datagrams) {
            ByteBuffer c = ByteBuffer.allocateDirect(d.remaining()).order(java.nio.ByteOrder.nativeOrder());
            c.put(d.duplicate()).flip();
            int at = 0;
            while (at + Rtnl.NLMSG_HDRLEN <= c.limit()) {
                edit.apply(c, at);
                at += Rtnl.align(c.getInt(at));
            }
            result.add(c);
        }
        return result;
    }
}
