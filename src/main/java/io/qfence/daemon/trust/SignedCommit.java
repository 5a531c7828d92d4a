package io.qfence.daemon.trust;

import java.io.ByteArrayOutputStream;
import java.util.Optional;

/**
 * A commit object split the way Git splits it to verify it: the {@code gpgsig} header (with its continuation lines)
 * is the signature, and everything else, byte for byte, is what was signed.
 *
 * @param signature empty for an unsigned commit
 */
record SignedCommit(byte[] payload, Optional<byte[]> signature) {

    private static final byte[] HEADER = "gpgsig ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * @throws IllegalArgumentException when the commit carries more than one signature header: Git would verify only
     *                                  one of them, and qfence refuses to guess which
     */
    static SignedCommit split(byte[] raw) {
        ByteArrayOutputStream payload = new ByteArrayOutputStream(raw.length);
        ByteArrayOutputStream signature = null;
        boolean inSignature = false;
        boolean inHeaders = true;
        int pos = 0;
        while (pos < raw.length) {
            int end = pos;
            while (end < raw.length && raw[end] != '\n') {
                end++;
            }
            int next = Math.min(end + 1, raw.length); // past the newline, if there is one
            if (inHeaders && end == pos) {
                inHeaders = false; // the blank line before the message
                inSignature = false;
            } else if (inHeaders && inSignature && raw[pos] == ' ') {
                signature.write(raw, pos + 1, end - (pos + 1));
                signature.write('\n');
                pos = next;
                continue;
            } else if (inHeaders && startsWith(raw, pos, HEADER)) {
                if (signature != null) {
                    throw new IllegalArgumentException("the commit carries more than one gpgsig header");
                }
                signature = new ByteArrayOutputStream();
                signature.write(raw, pos + HEADER.length, end - (pos + HEADER.length));
                signature.write('\n');
                inSignature = true;
                pos = next;
                continue;
            } else {
                inSignature = false;
            }
            payload.write(raw, pos, next - pos);
            pos = next;
        }
        return new SignedCommit(payload.toByteArray(),
                signature == null ? Optional.empty() : Optional.of(signature.toByteArray()));
    }

    private static boolean startsWith(byte[] raw, int pos, byte[] prefix) {
        if (raw.length - pos < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (raw[pos + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
