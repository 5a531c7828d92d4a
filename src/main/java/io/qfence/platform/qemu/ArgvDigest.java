package io.qfence.platform.qemu;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The config digest of a guest, as {@code model.host.Guest#configDigest} defines it: SHA-256 over the argv joined
 * with NUL bytes (UTF-8), as lowercase hex. Observation applies it to {@code /proc/PID/cmdline}, so a realized guest
 * and the process running it have equal digests exactly when their command lines are equal.
 */
public final class ArgvDigest {

    private ArgvDigest() {}

    public static String of(List<String> argv) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(String.join("\0", argv).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
