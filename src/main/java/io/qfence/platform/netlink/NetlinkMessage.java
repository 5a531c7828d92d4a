package io.qfence.platform.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One message received from the kernel: its header fields and its payload (everything after {@code nlmsghdr}), as a
 * read-only view in host byte order.
 */
record NetlinkMessage(int type, int flags, int seq, int portId, ByteBuffer payload) {

    boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    /** The attributes after a fixed-size family header ({@code ifinfomsg}, {@code ifaddrmsg}, ...). */
    Attributes attributesAfter(int headerLength) {
        if (payload.limit() < headerLength) {
            throw new MalformedMessageException("message of type " + type + " has " + payload.limit()
                    + " payload bytes, fewer than its " + headerLength + "-byte header");
        }
        return Attributes.parse(payload, headerLength, payload.limit() - headerLength);
    }

    /**
     * Splits a datagram into its messages. Each starts 4-byte aligned; a length field that points outside the
     * datagram is malformed.
     */
    static List<NetlinkMessage> parseAll(ByteBuffer datagram) {
        ByteBuffer b = datagram.duplicate().order(ByteOrder.nativeOrder());
        int start = b.position();
        int end = b.limit();
        List<NetlinkMessage> messages = new ArrayList<>();
        int at = start;
        while (end - at >= Rtnl.NLMSG_HDRLEN) {
            int length = b.getInt(at);
            if (length < Rtnl.NLMSG_HDRLEN || length > end - at) {
                throw new MalformedMessageException("netlink message at offset " + (at - start) + " has length " + length
                        + " but the datagram has " + (end - at) + " bytes left");
            }
            int type = Short.toUnsignedInt(b.getShort(at + 4));
            int flags = Short.toUnsignedInt(b.getShort(at + 6));
            int seq = b.getInt(at + 8);
            int portId = b.getInt(at + 12);
            ByteBuffer payload = b.slice(at + Rtnl.NLMSG_HDRLEN, length - Rtnl.NLMSG_HDRLEN).asReadOnlyBuffer()
                    .order(ByteOrder.nativeOrder());
            messages.add(new NetlinkMessage(type, flags, seq, portId, payload));
            at += Rtnl.align(length);
        }
        return messages;
    }
}
