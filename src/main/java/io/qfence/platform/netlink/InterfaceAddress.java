package io.qfence.platform.netlink;

import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv6Address;
import java.util.Objects;

/**
 * An address on an interface with its prefix length, e.g. the gateway {@code 10.10.0.1/24}. Unlike a CIDR, host bits
 * are the point. {@link #toString()} is the {@code ADDRESS/PREFIX} form that {@code model.host.Link#addresses} uses
 * (IPv6 in RFC 5952 form).
 */
public sealed interface InterfaceAddress permits InterfaceAddress.V4, InterfaceAddress.V6 {

    int prefixLength();

    /** The address in network byte order (4 or 16 bytes). */
    byte[] bytes();

    /** {@code AF_INET} or {@code AF_INET6}. */
    int family();

    static InterfaceAddress parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("invalid interface address '" + text + "': expected ADDRESS/PREFIX");
        }
        String length = text.substring(slash + 1);
        if (length.isEmpty() || length.length() > 3 || !length.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("invalid interface address '" + text + "': bad prefix length");
        }
        String address = text.substring(0, slash);
        int prefix = Integer.parseInt(length);
        return address.contains(":") ? new V6(Ipv6Address.parse(address), prefix) : new V4(Ipv4Address.parse(address), prefix);
    }

    static InterfaceAddress of(int family, byte[] bytes, int prefixLength) {
        if (family == Rtnl.AF_INET && bytes.length == 4) {
            return new V4(new Ipv4Address(((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff)),
                    prefixLength);
        }
        if (family == Rtnl.AF_INET6 && bytes.length == 16) {
            return new V6(Ipv6Address.fromBytes(bytes), prefixLength);
        }
        throw new IllegalArgumentException("unsupported address: family " + family + ", " + bytes.length + " bytes");
    }

    record V4(Ipv4Address address, int prefixLength) implements InterfaceAddress {
        public V4 {
            Objects.requireNonNull(address, "address");
            if (prefixLength < 0 || prefixLength > 32) {
                throw new IllegalArgumentException("IPv4 prefix length must be 0..32, got " + prefixLength);
            }
        }

        @Override
        public byte[] bytes() {
            return address.toBytes();
        }

        @Override
        public int family() {
            return Rtnl.AF_INET;
        }

        /** The directed broadcast address of the subnet, which {@code ip addr add ... brd +} would set. */
        public Ipv4Address broadcast() {
            int hostMask = prefixLength == 0 ? -1 : (prefixLength == 32 ? 0 : -1 >>> prefixLength);
            return new Ipv4Address(address.bits() | hostMask);
        }

        @Override
        public String toString() {
            return address + "/" + prefixLength;
        }
    }

    record V6(Ipv6Address address, int prefixLength) implements InterfaceAddress {
        public V6 {
            Objects.requireNonNull(address, "address");
            if (prefixLength < 0 || prefixLength > 128) {
                throw new IllegalArgumentException("IPv6 prefix length must be 0..128, got " + prefixLength);
            }
        }

        @Override
        public byte[] bytes() {
            return address.toBytes();
        }

        @Override
        public int family() {
            return Rtnl.AF_INET6;
        }

        @Override
        public String toString() {
            return address + "/" + prefixLength;
        }
    }
}
