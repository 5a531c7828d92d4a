package io.qfence.realize;

import java.util.List;

/**
 * The config digest of a guest: lower-case hex SHA-256 of its argv joined with NUL bytes (UTF-8, no trailing NUL),
 * i.e. of {@code /proc/PID/cmdline} without its final NUL. Observation recomputes it from a running QEMU; when it
 * differs from the realized one, the guest must be restarted to take the new configuration.
 */
public final class ConfigDigest {

    private ConfigDigest() {}

    public static String of(List<String> argv) {
        return Hashing.sha256Hex(String.join("\0", argv));
    }
}
