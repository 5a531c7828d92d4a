package io.qfence.model;

/** An IPv6 network such as {@code fd00:10::/64}. Host bits must be zero. */
public record Ipv6Cidr(Ipv6Address network, int prefixLength) implements Cidr {

    public Ipv6Cidr {
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("IPv6 prefix length must be 0..128, got " + prefixLength);
        }
        if (!masked(network, prefixLength).equals(network)) {
            throw new IllegalArgumentException("'" + network + "/" + prefixLength + "' has host bits set; did you mean "
                    + masked(network, prefixLength) + "/" + prefixLength + "?");
        }
    }

    public static Ipv6Cidr parse(String text) {
        CidrText.AddressAndPrefix parts = CidrText.split(text, "IPv6", 3);
        return new Ipv6Cidr(Ipv6Address.parse(parts.address()), parts.prefixLength());
    }

    static Ipv6Address masked(Ipv6Address a, int prefixLength) {
        long highMask = prefixLength >= 64 ? -1L : (prefixLength == 0 ? 0 : -1L << (64 - prefixLength));
        long lowMask = prefixLength <= 64 ? 0 : (prefixLength == 128 ? -1L : -1L << (128 - prefixLength));
        return new Ipv6Address(a.high() & highMask, a.low() & lowMask);
    }

    public boolean contains(Ipv6Address address) {
        return masked(address, prefixLength).equals(network);
    }

    public boolean overlaps(Ipv6Cidr other) {
        int shorter = Math.min(prefixLength, other.prefixLength);
        return masked(network, shorter).equals(masked(other.network, shorter));
    }

    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }
}
