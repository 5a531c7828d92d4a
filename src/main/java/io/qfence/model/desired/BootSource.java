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

    /**
     * A shared, read-only base image and this VM's own copy-on-write overlay (DESIGN.md §17). The base lies under
     * {@code imagesRoot/bases/}; the overlay is always {@code imagesRoot/overlays/<vm>.qcow2}, so no two VMs can
     * share one.
     *
     * @param format the base's format; the overlay is always qcow2
     */
    record BaseImage(String base, DiskFormat format) implements BootSource {
        /** The directory under imagesRoot that holds base images (and only there, so unused ones can be reported). */
        public static final String BASES_DIR = "bases";
        /** The directory under imagesRoot where qfence creates overlays; a path disk may not lie there. */
        public static final String OVERLAYS_DIR = "overlays";

        public BaseImage {
            RelativePaths.require("base", base);
            if (!base.startsWith(BASES_DIR + "/")) {
                throw new IllegalArgumentException("base must lie under " + BASES_DIR + "/, got " + base);
            }
            Objects.requireNonNull(format, "format");
        }

        /** The VM's overlay, relative to imagesRoot. */
        public static String overlayPath(String vm) {
            return OVERLAYS_DIR + "/" + vm + ".qcow2";
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
