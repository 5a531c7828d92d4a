package io.qfence.platform.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A parsed run of netlink attributes (rtattr/nlattr: u16 length, u16 type, payload, padding to 4 bytes), read in
 * place from a buffer. When a type repeats, the last one wins, as in the kernel's {@code nla_parse}. The
 * {@code NLA_F_NESTED} and {@code NLA_F_NET_BYTEORDER} bits are not part of the type.
 *
 * <p>Malformed input (an attribute running past its container) fails with {@link MalformedMessageException}:
 * the kernel never sends it, so seeing it means we are reading the wrong bytes.
 */
final class Attributes {

    private static final Attributes EMPTY = new Attributes(ByteBuffer.allocate(0), List.of());

    /** One attribute: its type and where its payload lies in {@link #buffer}. */
    record Attribute(int type, int offset, int length) {}

    private final ByteBuffer buffer;
    private final List<Attribute> list;
    private Attribute[] byType;

    private Attributes(ByteBuffer buffer, List<Attribute> list) {
        this.buffer = buffer;
        this.list = list;
    }

    static Attributes empty() {
        return EMPTY;
    }

    /** Parses {@code length} bytes of attributes starting at {@code offset} (absolute) in {@code buffer}. */
    static Attributes parse(ByteBuffer buffer, int offset, int length) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.nativeOrder());
        int end = offset + length;
        if (offset < 0 || end > b.limit()) {
            throw new MalformedMessageException("attributes [" + offset + ", " + end + ") lie outside a " + b.limit() + "-byte buffer");
        }
        List<Attribute> list = new ArrayList<>();
        int at = offset;
        while (end - at >= Rtnl.NLA_HDRLEN) {
            int attrLength = Short.toUnsignedInt(b.getShort(at));
            int type = Short.toUnsignedInt(b.getShort(at + 2)) & Rtnl.NLA_TYPE_MASK;
            if (attrLength < Rtnl.NLA_HDRLEN || at + attrLength > end) {
                throw new MalformedMessageException("attribute of type " + type + " at offset " + at + " has length "
                        + attrLength + " but only " + (end - at) + " bytes remain");
            }
            list.add(new Attribute(type, at + Rtnl.NLA_HDRLEN, attrLength - Rtnl.NLA_HDRLEN));
            at += Rtnl.align(attrLength);
        }
        return new Attributes(b, Collections.unmodifiableList(list));
    }

    List<Attribute> all() {
        return list;
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    boolean has(int type) {
        return find(type) != null;
    }

    private Attribute find(int type) {
        if (byType == null) {
            int max = 0;
            for (Attribute a : list) {
                max = Math.max(max, a.type());
            }
            byType = new Attribute[max + 1];
            for (Attribute a : list) {
                byType[a.type()] = a;
            }
        }
        return type >= 0 && type < byType.length ? byType[type] : null;
    }

    private Attribute require(int type, int minLength) {
        Attribute a = find(type);
        if (a != null && a.length() < minLength) {
            throw new MalformedMessageException("attribute " + type + " has " + a.length() + " bytes, expected at least " + minLength);
        }
        return a;
    }

    OptionalInt u8(int type) {
        Attribute a = require(type, 1);
        return a == null ? OptionalInt.empty() : OptionalInt.of(Byte.toUnsignedInt(buffer.get(a.offset())));
    }

    OptionalInt u16(int type) {
        Attribute a = require(type, 2);
        return a == null ? OptionalInt.empty() : OptionalInt.of(Short.toUnsignedInt(buffer.getShort(a.offset())));
    }

    /** A 32-bit value as Java's (signed) int; callers that mean unsigned use {@link #u32Unsigned}. */
    OptionalInt u32(int type) {
        Attribute a = require(type, 4);
        return a == null ? OptionalInt.empty() : OptionalInt.of(buffer.getInt(a.offset()));
    }

    OptionalLong u32Unsigned(int type) {
        OptionalInt v = u32(type);
        return v.isPresent() ? OptionalLong.of(Integer.toUnsignedLong(v.getAsInt())) : OptionalLong.empty();
    }

    /** A string attribute, without its terminating NUL (and anything after one). */
    Optional<String> string(int type) {
        Attribute a = find(type);
        if (a == null) {
            return Optional.empty();
        }
        int length = 0;
        while (length < a.length() && buffer.get(a.offset() + length) != 0) {
            length++;
        }
        byte[] bytes = new byte[length];
        buffer.get(a.offset(), bytes);
        return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }

    Optional<byte[]> bytes(int type) {
        Attribute a = find(type);
        if (a == null) {
            return Optional.empty();
        }
        byte[] bytes = new byte[a.length()];
        buffer.get(a.offset(), bytes);
        return Optional.of(bytes);
    }

    /** The attributes nested in {@code type}, or none when it is absent. */
    Attributes nested(int type) {
        Attribute a = find(type);
        return a == null ? EMPTY : parse(buffer, a.offset(), a.length());
    }

    /** The attributes nested in {@code type} after a fixed header of {@code skip} bytes (e.g. a veth peer's ifinfomsg). */
    Attributes nested(int type, int skip) {
        Attribute a = find(type);
        return a == null || a.length() < skip ? EMPTY : parse(buffer, a.offset() + skip, a.length() - skip);
    }
}
