package io.qfence.realize;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 helpers for the deterministic choices of realization (uids, MACs); the config digest is {@link io.qfence.model.ConfigDigest}. */
final class Hashing {

    private Hashing() {}

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** The first eight bytes of SHA-256(text) as an unsigned-compatible long. */
    static long sha256Long(String text) {
        byte[] d = sha256(text);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (d[i] & 0xff);
        }
        return v;
    }
}
