package io.qfence.model;

/** An IPv4 or IPv6 network prefix, as written in firewall endpoints and exposure allow-lists. */
public sealed interface Cidr permits Ipv4Cidr, Ipv6Cidr {

    int prefixLength();

    /** Parses either family; the text must be a network address (no host bits set). */
    static Cidr parse(String text) {
        return text.contains(":") ? Ipv6Cidr.parse(text) : Ipv4Cidr.parse(text);
    }
}
