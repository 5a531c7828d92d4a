package io.qfence.model.desired;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One OpenSSH public key as committed in Git ({@code TYPE BASE64 [COMMENT]}), checked as OpenSSH would read it: a
 * known type, a blob that is valid base64 and starts with the same type name (RFC 4253 §6.6), and a comment without
 * control characters. A pasted private key, a fingerprint or a key with its type cut off is refused, with a reason.
 *
 * @param type    e.g. {@code ssh-ed25519}
 * @param blob    the base64 text, as given
 * @param comment optional, e.g. {@code alice@laptop}
 */
public record SshPublicKey(String type, String blob, Optional<String> comment) {

    /** The key types cloud-init passes and Debian 12's OpenSSH 9.2 accepts (DSA is off there). */
    public static final Set<String> TYPES = Set.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com");

    /** An RSA 16384-bit key is about 2.8 KB of base64; anything far beyond that is not a public key. */
    static final int MAX_LENGTH = 8192;

    public SshPublicKey {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(comment, "comment");
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("unknown SSH key type '" + type + "' (one of " + String.join(", ", new java.util.TreeSet<>(TYPES)) + ")");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(blob);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + type + " key's data is not valid base64");
        }
        if (bytes.length < 4) {
            throw new IllegalArgumentException("the " + type + " key's data is too short to be a key");
        }
        int length = ByteBuffer.wrap(bytes, 0, 4).getInt();
        if (length < 0 || length > bytes.length - 4
                || !new String(bytes, 4, length, StandardCharsets.US_ASCII).equals(type)) {
            throw new IllegalArgumentException("the key's data does not hold a " + type + " key (type and data do not match)");
        }
        comment.ifPresent(c -> {
            for (int i = 0; i < c.length(); i++) {
                char ch = c.charAt(i);
                if (Character.isISOControl(ch) || Character.getType(ch) == Character.FORMAT) {
                    throw new IllegalArgumentException("the key's comment contains a control or formatting character");
                }
            }
        });
    }

    /** Parses one line, {@code TYPE BASE64 [COMMENT]}; options before the type ({@code from=...}) are refused. */
    public static SshPublicKey parse(String line) {
        Objects.requireNonNull(line, "line");
        if (line.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("an SSH public key is at most " + MAX_LENGTH + " characters");
        }
        if (line.startsWith("-----BEGIN")) {
            throw new IllegalArgumentException("this is a PEM block (a private key?), not an OpenSSH public key line");
        }
        String trimmed = line.strip();
        String[] parts = trimmed.split(" +", 3);
        if (parts.length < 2) {
            throw new IllegalArgumentException("an SSH public key is 'TYPE BASE64 [COMMENT]', e.g. 'ssh-ed25519 AAAAC3... alice@laptop'");
        }
        return new SshPublicKey(parts[0], parts[1], parts.length == 3 ? Optional.of(parts[2]) : Optional.empty());
    }

    /** The key as one authorized_keys line. */
    public String line() {
        return type + " " + blob + comment.map(c -> " " + c).orElse("");
    }

    @Override
    public String toString() {
        return line();
    }
}
