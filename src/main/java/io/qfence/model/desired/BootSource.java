package io.qfence.model.desired;

import java.util.Objects;
import java.util.Optional;

/**
 * How a VM boots. Every path is relative to the host's {@code imagesRoot}; the loader refuses absolute paths and
 * {@code ..} components, and the launcher re-checks at open time that no symlink leads outside.
 */
public sealed interface BootSource {

    /** A disk image with an explicit format. QEMU never probes the format: a raw image could claim to be qcow2. */
    record Disk(String path, DiskFormat format) implements BootSource {
        public Disk {
            RelativePaths.require("disk", path);
            Objects.requireNonNull(format, "format");
        }
    }

    /** Direct kernel boot: QEMU loads the kernel and initrd itself and passes the command line. */
    record Kernel(String kernel, Optional<String> initrd, String cmdline) implements BootSource {
        public Kernel {
            RelativePaths.require("kernel", kernel);
            initrd.ifPresent(p -> RelativePaths.require("initrd", p));
            Objects.requireNonNull(cmdline, "cmdline");
        }
    }

    enum DiskFormat {
        QCOW2, RAW;

        public String qemuName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
