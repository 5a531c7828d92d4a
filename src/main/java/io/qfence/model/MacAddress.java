package io.qfence.model;

import java.util.Locale;

/** A 48-bit Ethernet address, printed as lower-case colon-separated hex. */
public record MacAddress(long bits) implements Comparable<MacAddress> {

    public MacAddress {
        if ((bits & ~0xffff_ffff_ffffL) != 0) {
            throw new IllegalArgumentException("a MAC address has 48 bits");
        }
    }

    public static MacAddress parse(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("invalid MAC address '" + text + "': expected six colon-separated octets");
        }
        long bits = 0;
        for (String part : parts) {
            if (part.length() != 2 || !part.toLowerCase(Locale.ROOT).matches("[0-9a-f]{2}")) {
                throw new IllegalArgumentException("invalid MAC address '" + text + "'");
            }
            bits = (bits << 8) | Integer.parseInt(part, 16);
        }
        return new MacAddress(bits);
    }

    public static MacAddress fromBytes(byte[] b) {
        if (b.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, got " + b.length);
        }
        long bits = 0;
        for (byte x : b) {
            bits = (bits << 8) | (x & 0xff);
        }
        return new MacAddress(bits);
    }

    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (bits >>> (40 - 8 * i));
        }
        return b;
    }

    private int firstOctet() {
        return (int) (bits >>> 40);
    }

    public boolean isMulticast() {
        return (firstOctet() & 0x01) != 0;
    }

    public boolean isLocallyAdministered() {
        return (firstOctet() & 0x02) != 0;
    }

    @Override
    public int compareTo(MacAddress o) {
        return Long.compare(bits, o.bits);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    @Override
    public String toString() {
        // by hand rather than String.format: digests and realization print tens of thousands of MACs per cycle
        char[] out = new char[17];
        for (int i = 0; i < 6; i++) {
            int b = (int) (bits >>> (40 - 8 * i)) & 0xff;
            out[3 * i] = HEX[b >>> 4];
            out[3 * i + 1] = HEX[b & 0xf];
            if (i < 5) {
                out[3 * i + 2] = ':';
            }
        }
        return new String(out);
    }
}
