package io.qfence.daemon.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The shared secret of the Git webhook, and the check of GitHub's {@code X-Hub-Signature-256} header: {@code sha256=}
 * followed by the hex HMAC-SHA256 of the raw request body under the secret. Compared in constant time. The secret
 * never appears in {@link #toString()}, a message or a log.
 */
public final class WebhookSecret {

    private static final String PREFIX = "sha256=";

    private final SecretKeySpec key;

    private WebhookSecret(byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** Reads the secret from a file (surrounding whitespace, e.g. a final newline, is not part of it). */
    public static WebhookSecret fromFile(Path file) throws IOException {
        String secret = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (secret.isEmpty()) {
            throw new IOException("the webhook secret file " + file + " is empty");
        }
        return new WebhookSecret(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** A secret already read (the notification webhook reads its file with {@code notify.SecretFile}). */
    public static WebhookSecret of(String secret) {
        return new WebhookSecret(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** Why the header does not authenticate the body, or empty when it does. */
    HeaderCheck check(String header, byte[] body) {
        if (header == null) {
            return HeaderCheck.MISSING;
        }
        String value = header.strip();
        if (!value.toLowerCase(Locale.ROOT).startsWith(PREFIX) || value.length() != PREFIX.length() + 64) {
            return HeaderCheck.MALFORMED;
        }
        byte[] claimed;
        try {
            claimed = HexFormat.of().parseHex(value.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return HeaderCheck.MALFORMED;
        }
        return MessageDigest.isEqual(claimed, sign(body)) ? HeaderCheck.VALID : HeaderCheck.MISMATCH;
    }

    /**
     * The header value GitHub would send for {@code body}; qfence's own notifications carry it in
     * {@code X-Qfence-Signature-256}.
     */
    public String header(byte[] body) {
        return PREFIX + HexFormat.of().formatHex(sign(body));
    }

    private byte[] sign(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("the JDK always has HmacSHA256", e);
        }
    }

    @Override
    public String toString() {
        return "WebhookSecret[redacted]";
    }

    enum HeaderCheck {
        VALID, MISSING, MALFORMED, MISMATCH
    }
}
