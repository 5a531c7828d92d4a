package io.qfence.platform.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes netlink messages: headers, fixed structs and (nested) attributes, each padded to 4 bytes as the kernel
 * requires. Several messages may follow each other in one writer, which is how a batch becomes one datagram.
 *
 * <p>Netlink is host byte order, except where an attribute says otherwise.
 */
final class MessageWriter {

    private ByteBuffer buffer;

    MessageWriter() {
        this(256);
    }

    MessageWriter(int initialCapacity) {
        buffer = ByteBuffer.allocate(Math.max(64, initialCapacity)).order(ByteOrder.nativeOrder());
    }

    int size() {
        return buffer.position();
    }

    /** Starts a message; returns the handle to pass to {@link #endMessage}. The length is patched in at the end. */
    int beginMessage(int type, int flags, int seq, int portId) {
        int start = buffer.position();
        ensure(Rtnl.NLMSG_HDRLEN);
        buffer.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(portId);
        return start;
    }

    void endMessage(int start) {
        padToAlignment();
        buffer.putInt(start, buffer.position() - start);
    }

    /** {@code struct ifinfomsg}. */
    MessageWriter ifinfomsg(int family, int deviceType, int index, int flags, int change) {
        ensure(Rtnl.IFINFOMSG_LEN);
        buffer.put((byte) family).put((byte) 0).putShort((short) deviceType).putInt(index).putInt(flags).putInt(change);
        return this;
    }

    /** {@code struct ifaddrmsg}. */
    MessageWriter ifaddrmsg(int family, int prefixLength, int flags, int scope, int index) {
        ensure(Rtnl.IFADDRMSG_LEN);
        buffer.put((byte) family).put((byte) prefixLength).put((byte) flags).put((byte) scope).putInt(index);
        return this;
    }

    /** {@code struct rtmsg}: a unicast route of the main table, no source prefix, no TOS, no flags. */
    MessageWriter rtmsg(int family, int destinationLength, int protocol, int scope) {
        ensure(Rtnl.RTMSG_LEN);
        buffer.put((byte) family).put((byte) destinationLength).put((byte) 0).put((byte) 0)
                .put((byte) Rtnl.RT_TABLE_MAIN).put((byte) protocol).put((byte) scope).put((byte) Rtnl.RTN_UNICAST).putInt(0);
        return this;
    }

    MessageWriter attribute(int type, byte[] value) {
        int length = Rtnl.NLA_HDRLEN + value.length;
        if (length > 0xffff) {
            throw new IllegalArgumentException("attribute " + type + " is too long: " + value.length + " bytes");
        }
        ensure(Rtnl.align(length));
        buffer.putShort((short) length).putShort((short) type).put(value);
        padToAlignment();
        return this;
    }

    MessageWriter u8(int type, int value) {
        return attribute(type, new byte[] {(byte) value});
    }

    MessageWriter u16(int type, int value) {
        return attribute(type, ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) value).array());
    }

    MessageWriter u32(int type, int value) {
        return attribute(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
    }

    /** A NUL-terminated string, as the kernel's {@code NLA_STRING} and {@code NLA_NUL_STRING} policies accept. */
    MessageWriter string(int type, String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        return attribute(type, Arrays.copyOf(utf8, utf8.length + 1));
    }

    /**
     * Opens a nested attribute; returns the handle to pass to {@link #endNested}. {@code pureNest} sets
     * {@code NLA_F_NESTED}, which says "this payload is a list of attributes" (the kernel sets it on everything it
     * nests, and strict validation insists on it); leave it off for attributes that start with a struct.
     */
    int beginNested(int type, boolean pureNest) {
        int start = buffer.position();
        ensure(Rtnl.NLA_HDRLEN);
        buffer.putShort((short) 0).putShort((short) (pureNest ? type | Rtnl.NLA_F_NESTED : type));
        return start;
    }

    int beginNested(int type) {
        return beginNested(type, true);
    }

    void endNested(int start) {
        int length = buffer.position() - start;
        if (length > 0xffff) {
            throw new IllegalArgumentException("nested attribute is too long: " + length + " bytes");
        }
        buffer.putShort(start, (short) length);
    }

    /** A copy of everything written so far. */
    byte[] toByteArray() {
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** Copies everything written into {@code target} (a direct buffer, ready for {@code send}). */
    void copyTo(ByteBuffer target) {
        target.put(buffer.array(), 0, buffer.position());
    }

    void reset() {
        buffer.clear();
    }

    private void padToAlignment() {
        int padding = Rtnl.align(buffer.position()) - buffer.position();
        ensure(padding);
        for (int i = 0; i < padding; i++) {
            buffer.put((byte) 0);
        }
    }

    private void ensure(int bytes) {
        if (buffer.remaining() >= bytes) {
            return;
        }
        int capacity = buffer.capacity();
        while (capacity - buffer.position() < bytes) {
            capacity *= 2;
        }
        ByteBuffer grown = ByteBuffer.allocate(capacity).order(ByteOrder.nativeOrder());
        buffer.flip();
        grown.put(buffer);
        buffer = grown;
    }
}
