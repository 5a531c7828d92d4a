package io.qfence.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Kernel interface names for qfence's links. A name is {@code PREFIX + NAME} when that fits in IFNAMSIZ - 1 =
 * 15 bytes; otherwise {@code PREFIX + first 4 chars of NAME + '_' + 6 base-32 chars of SHA-256(NAME)}, which is
 * exactly 15 bytes. Desired-state names are DNS labels and never contain {@code '_'}, so a shortened name can never
 * equal an unshortened one; two shortened names collide only if 4-char stems and 30 hash bits coincide, which the
 * validator detects and reports instead of letting it reach the host.
 *
 * <p>Every prefix starts with {@code qf}, which together with the link's alias marks it as qfence's own.
 */
public final class InterfaceNames {

    /** Linux IFNAMSIZ is 16 including the terminating NUL. */
    public static final int MAX_LENGTH = 15;

    public static final String BRIDGE_PREFIX = "qfb-";
    public static final String TAP_PREFIX = "qft-";
    public static final String VLAN_PREFIX = "qfv-";
    public static final String OWNED_PREFIX = "qf";
    /**
     * The prefix of the temporary names under which qfence creates links (DESIGN.md §5): {@code qfc-} and 11 base-32
     * characters. A link is only ever created under such a name, configured down, and then given its final name and
     * its alias in one request, so a link with a final name always carries its alias. A link under a temporary name
     * exists only while an apply runs or after one was interrupted; no desired link ever has such a name.
     */
    public static final String TEMPORARY_PREFIX = "qfc-";
    private static final int TEMPORARY_RANDOM_CHARS = 11;

    private static final int STEM = 4;
    private static final int HASH_CHARS = 6;
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private InterfaceNames() {}

    public static String bridge(String group) {
        return derive(BRIDGE_PREFIX, group);
    }

    public static String tap(String vm) {
        return derive(TAP_PREFIX, vm);
    }

    /** The VLAN sub-interface of the uplink that is enslaved to a group's bridge, e.g. {@code qfv-10}. */
    public static String vlan(int vlanId) {
        return VLAN_PREFIX + vlanId;
    }

    /** A fresh temporary link name, {@code qfc-} and 11 base-32 characters drawn from {@code random}. */
    public static String temporary(java.util.random.RandomGenerator random) {
        StringBuilder sb = new StringBuilder(TEMPORARY_PREFIX);
        for (int i = 0; i < TEMPORARY_RANDOM_CHARS; i++) {
            sb.append(BASE32[random.nextInt(BASE32.length)]);
        }
        return sb.toString();
    }

    /** Whether {@code name} is a temporary name as {@link #temporary} makes them. */
    public static boolean isTemporary(String name) {
        if (name.length() != TEMPORARY_PREFIX.length() + TEMPORARY_RANDOM_CHARS || !name.startsWith(TEMPORARY_PREFIX)) {
            return false;
        }
        for (int i = TEMPORARY_PREFIX.length(); i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z') && !(c >= '2' && c <= '7')) {
                return false;
            }
        }
        return true;
    }

    /** Deterministic and at most 15 bytes; see the class comment for why it is also collision-free in practice. */
    public static String derive(String prefix, String name) {
        if (!prefix.startsWith(OWNED_PREFIX) || prefix.length() + STEM + 1 + HASH_CHARS > MAX_LENGTH) {
            throw new IllegalArgumentException("prefix '" + prefix + "' must start with '" + OWNED_PREFIX + "' and leave room for a shortened name");
        }
        String full = prefix + name;
        if (full.getBytes(StandardCharsets.UTF_8).length <= MAX_LENGTH && name.chars().allMatch(c -> c < 0x80)) {
            return full;
        }
        String stem = name.chars().limit(STEM).allMatch(c -> c < 0x80 && c != '_' && c != '/' && !Character.isWhitespace(c))
                ? name.substring(0, Math.min(STEM, name.length())) : "";
        return prefix + stem + "_" + hash(name, MAX_LENGTH - prefix.length() - stem.length() - 1);
    }

    private static String hash(String name, int chars) {
        byte[] digest = sha256(name.getBytes(StandardCharsets.UTF_8));
        StringBuilder sb = new StringBuilder(chars);
        long acc = 0;
        int bits = 0;
        int i = 0;
        while (sb.length() < chars) {
            if (bits < 5) {
                acc = (acc << 8) | (digest[i++] & 0xff);
                bits += 8;
            }
            sb.append(BASE32[(int) ((acc >>> (bits - 5)) & 31)]);
            bits -= 5;
        }
        return sb.toString();
    }

    static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
