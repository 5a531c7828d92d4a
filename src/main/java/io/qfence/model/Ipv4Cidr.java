package io.qfence.model;

/** An IPv4 network such as {@code 10.10.0.0/24}. Host bits must be zero, so that every CIDR has one spelling. */
public record Ipv4Cidr(Ipv4Address network, int prefixLength) implements Cidr {

    public Ipv4Cidr {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("IPv4 prefix length must be 0..32, got " + prefixLength);
        }
        if ((network.bits() & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException("'" + network + "/" + prefixLength + "' has host bits set; did you mean "
                    + new Ipv4Address(network.bits() & mask(prefixLength)) + "/" + prefixLength + "?");
        }
    }

    public static Ipv4Cidr parse(String text) {
        CidrText.AddressAndPrefix parts = CidrText.split(text, "IPv4", 2);
        return new Ipv4Cidr(Ipv4Address.parse(parts.address()), parts.prefixLength());
    }

    static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public boolean contains(Ipv4Address address) {
        return (address.bits() & mask(prefixLength)) == network.bits();
    }

    public boolean overlaps(Ipv4Cidr other) {
        int shorter = Math.min(prefixLength, other.prefixLength);
        return (network.bits() & mask(shorter)) == (other.network.bits() & mask(shorter));
    }

    public long size() {
        return 1L << (32 - prefixLength);
    }

    public Ipv4Address broadcast() {
        return network.plus(size() - 1);
    }

    /** The first usable address, which qfence gives to the host side (the bridge) when the group is routed. */
    public Ipv4Address gateway() {
        return network.plus(1);
    }

    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }
}
