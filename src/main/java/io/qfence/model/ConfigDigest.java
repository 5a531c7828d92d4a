package io.qfence.model;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

/**
 * The config digest of a guest: lower-case hex SHA-256 of its argv joined with NUL bytes (UTF-8, no trailing NUL),
 * i.e. of {@code /proc/PID/cmdline} without its final NUL. Realization computes it from the argv it builds;
 * observation (in {@code platform.qemu}) recomputes it from a running QEMU; when the two differ, the guest must be
 * restarted to take the new configuration. It lives in the model because both sides must compute it the same way,
 * and an adapter may not depend on {@code realize}.
 */
public final class ConfigDigest {

    private ConfigDigest() {}

    public static String of(List<String> argv) {
        return HexFormat.of().formatHex(InterfaceNames.sha256(String.join("\0", argv).getBytes(StandardCharsets.UTF_8)));
    }
}
