package io.qfence.model.host;

import java.util.Objects;

/**
 * A VM's copy-on-write overlay over a shared base image (DESIGN.md §17). Absolute paths.
 *
 * @param path       {@code imagesRoot/overlays/<vm>.qcow2}: the VM's own (its uid, mode 0600), created when absent,
 *                   never deleted or re-created
 * @param base       the shared base: root's, mode 0444, only ever read
 * @param baseFormat {@code qcow2} or {@code raw}
 */
public record Overlay(String path, String base, String baseFormat) {

    public Overlay {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(base, "base");
        if (!path.startsWith("/") || !base.startsWith("/")) {
            throw new IllegalArgumentException("overlay and base paths must be absolute: " + path + ", " + base);
        }
        if (path.equals(base)) {
            throw new IllegalArgumentException("an overlay cannot be its own base: " + path);
        }
        if (!baseFormat.equals("qcow2") && !baseFormat.equals("raw")) {
            throw new IllegalArgumentException("base format must be qcow2 or raw, got " + baseFormat);
        }
    }
}
