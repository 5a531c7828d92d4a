package io.qfence.model;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv6 address as two 64-bit halves; printed in RFC 5952 canonical form. */
public record Ipv6Address(long high, long low) implements Comparable<Ipv6Address> {

    public static Ipv6Address parse(String text) {
        // InetAddress does no DNS lookup for literals containing ':'; zone ids and brackets are refused first.
        if (!text.contains(":") || text.contains("%") || text.contains("[") || text.contains("/")) {
            throw new IllegalArgumentException("invalid IPv6 address '" + text + "'");
        }
        try {
            InetAddress address = InetAddress.getByName(text);
            if (!(address instanceof Inet6Address)) {
                throw new IllegalArgumentException("invalid IPv6 address '" + text + "'");
            }
            return fromBytes(address.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IPv6 address '" + text + "'");
        }
    }

    public static Ipv6Address fromBytes(byte[] b) {
        if (b.length != 16) {
            throw new IllegalArgumentException("an IPv6 address has 16 bytes, got " + b.length);
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (b[i] & 0xff);
            low = (low << 8) | (b[i + 8] & 0xff);
        }
        return new Ipv6Address(high, low);
    }

    public byte[] toBytes() {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[i + 8] = (byte) (low >>> (56 - 8 * i));
        }
        return b;
    }

    public Ipv6Address plus(long offset) {
        long newLow = low + offset;
        long carry = Long.compareUnsigned(newLow, low) < 0 ? 1 : 0;
        return new Ipv6Address(high + carry, newLow);
    }

    @Override
    public int compareTo(Ipv6Address o) {
        int c = Long.compareUnsigned(high, o.high);
        return c != 0 ? c : Long.compareUnsigned(low, o.low);
    }

    @Override
    public String toString() {
        int[] groups = new int[8];
        for (int i = 0; i < 4; i++) {
            groups[i] = (int) ((high >>> (48 - 16 * i)) & 0xffff);
            groups[i + 4] = (int) ((low >>> (48 - 16 * i)) & 0xffff);
        }
        // RFC 5952: compress the longest run (of at least two) of zero groups, the first one on a tie.
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
