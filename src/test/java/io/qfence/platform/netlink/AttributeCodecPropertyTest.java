package io.qfence.platform.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** The attribute codec: what is written is read back unchanged, and everything lands on 4-byte boundaries. */
class AttributeCodecPropertyTest {

    /** An attribute tree: a leaf with a payload, or a nest of attributes. */
    record Attr(int type, byte[] payload, List<Attr> children) {
        boolean nested() {
            return children != null;
        }
    }

    @Provide
    Arbitrary<List<Attr>> trees() {
        return attrs(3).list().ofMaxSize(6);
    }

    private Arbitrary<Attr> attrs(int depth) {
        Arbitrary<Integer> types = Arbitraries.integers().between(1, 0x3fff);
        Arbitrary<Attr> leaf = Combinators.combine(types, Arbitraries.bytes().array(byte[].class).ofMaxSize(40))
                .as((t, p) -> new Attr(t, p, null));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<Attr> nest = Combinators.combine(types, Arbitraries.lazy(() -> attrs(depth - 1)).list().ofMaxSize(4))
                .as((t, c) -> new Attr(t, null, c));
        return Arbitraries.oneOf(leaf, nest);
    }

    private static void write(MessageWriter w, List<Attr> attrs) {
        for (Attr a : attrs) {
            if (a.nested()) {
                int nest = w.beginNested(a.type());
                write(w, a.children());
                w.endNested(nest);
            } else {
                w.attribute(a.type(), a.payload());
            }
        }
    }

    private static List<Attr> read(ByteBuffer b, Attributes parsed, List<Attr> shape) {
        List<Attr> result = new ArrayList<>();
        List<Attributes.Attribute> all = parsed.all();
        for (int i = 0; i < all.size(); i++) {
            Attributes.Attribute a = all.get(i);
            assertThat((a.offset() - Rtnl.NLA_HDRLEN) % 4).as("attribute header alignment").isZero();
            if (shape.get(i).nested()) {
                result.add(new Attr(a.type(), null, read(b, Attributes.parse(b, a.offset(), a.length()), shape.get(i).children())));
            } else {
                byte[] payload = new byte[a.length()];
                b.get(a.offset(), payload);
                result.add(new Attr(a.type(), payload, null));
            }
        }
        return result;
    }

    @Property(tries = 300)
    void attributeTreesRoundTripInsideAMessage(@ForAll("trees") List<Attr> tree, @ForAll @IntRange(max = 100_000) int seq) {
        MessageWriter w = new MessageWriter(16);
        int message = w.beginMessage(Rtnl.RTM_NEWLINK, Rtnl.NLM_F_REQUEST, seq, 0);
        w.ifinfomsg(0, 0, 0, 0, 0);
        write(w, tree);
        w.endMessage(message);
        byte[] bytes = w.toByteArray();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());

        assertThat(bytes.length % 4).as("message length is aligned").isZero();
        List<NetlinkMessage> messages = NetlinkMessage.parseAll(b);
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0).seq()).isEqualTo(seq);
        assertThat(b.getInt(0)).isEqualTo(bytes.length);
        Attributes parsed = messages.get(0).attributesAfter(Rtnl.IFINFOMSG_LEN);
        List<Attr> back = read(messages.get(0).payload(), parsed, tree);
        assertThat(back).usingRecursiveFieldByFieldElementComparator().isEqualTo(tree);
    }

    @Property
    void messagesBackToBackSplitAtTheirAlignedLengths(@ForAll @Size(max = 8) List<@Size(max = 30) List<@IntRange(min = 1, max = 200) Integer>> messages) {
        MessageWriter w = new MessageWriter(16);
        for (int m = 0; m < messages.size(); m++) {
            int h = w.beginMessage(Rtnl.RTM_SETLINK, 0, m, 0);
            for (int type : messages.get(m)) {
                w.attribute(type, new byte[type % 7]);
            }
            w.endMessage(h);
        }
        List<NetlinkMessage> parsed = NetlinkMessage.parseAll(ByteBuffer.wrap(w.toByteArray()));
        assertThat(parsed).extracting(NetlinkMessage::seq).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, messages.size()).boxed().toList());
        for (int m = 0; m < messages.size(); m++) {
            assertThat(Attributes.parse(parsed.get(m).payload(), 0, parsed.get(m).payload().limit()).all())
                    .extracting(Attributes.Attribute::type).containsExactlyElementsOf(messages.get(m));
        }
    }

    @Property
    void scalarsAndStringsRoundTrip(@ForAll int u32, @ForAll @IntRange(max = 0xffff) int u16, @ForAll @IntRange(max = 0xff) int u8,
                                    @ForAll @StringLength(max = 60) String text) {
        MessageWriter w = new MessageWriter(16);
        w.u32(1, u32).u16(2, u16).u8(3, u8).string(4, text.replace("\0", ""));
        byte[] bytes = w.toByteArray();
        Attributes a = Attributes.parse(ByteBuffer.wrap(bytes), 0, bytes.length);
        assertThat(a.u32(1)).hasValue(u32);
        assertThat(a.u16(2)).hasValue(u16);
        assertThat(a.u8(3)).hasValue(u8);
        assertThat(a.string(4)).contains(text.replace("\0", ""));
    }

    @Property
    void theNestedFlagIsNotPartOfTheType(@ForAll @IntRange(min = 1, max = 0x3fff) int type) {
        MessageWriter w = new MessageWriter(16);
        int nest = w.beginNested(type, true);
        w.u8(1, 42);
        w.endNested(nest);
        byte[] bytes = w.toByteArray();
        Attributes a = Attributes.parse(ByteBuffer.wrap(bytes), 0, bytes.length);
        assertThat(a.all()).extracting(Attributes.Attribute::type).containsExactly(type);
        assertThat(a.nested(type).u8(1)).hasValue(42);
    }

    @Property
    void interfaceAddressesRoundTripThroughTheirBytes(@ForAll int bits, @ForAll long high, @ForAll long low,
                                                      @ForAll @IntRange(max = 32) int p4, @ForAll @IntRange(max = 128) int p6) {
        InterfaceAddress v4 = new InterfaceAddress.V4(new io.qfence.model.Ipv4Address(bits), p4);
        InterfaceAddress v6 = new InterfaceAddress.V6(new io.qfence.model.Ipv6Address(high, low), p6);
        assertThat(InterfaceAddress.of(v4.family(), v4.bytes(), p4)).isEqualTo(v4);
        assertThat(InterfaceAddress.of(v6.family(), v6.bytes(), p6)).isEqualTo(v6);
        assertThat(InterfaceAddress.parse(v4.toString())).isEqualTo(v4);
        assertThat(InterfaceAddress.parse(v6.toString())).isEqualTo(v6);
    }
}
