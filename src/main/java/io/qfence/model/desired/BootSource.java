package io.qfence.model.desired;

import java.util.Objects;
import java.util.Optional;

/**
 * How a VM boots. Every path is relative to the host's {@code imagesRoot}; the loader refuses absolute paths and
 * {@code ..} components, and the launcher re-checks at open time that no symlink leads outside.
 *
 * <p>A disk may come with a {@link Kernel}: QEMU then loads that kernel directly and the disk holds the root
 * filesystem (the real guest image of DESIGN.md §17 is a partitionless ext4 without a boot loader). Without one, the
 * firmware boots the disk.
 */
public sealed interface BootSource {

    /** The kernel QEMU loads itself ({@code -kernel}), if any: a kernel boot, or a disk's direct kernel. */
    Optional<Kernel> directKernel();

    /** A disk image with an explicit format. QEMU never probes the format: a raw image could claim to be qcow2. */
    record Disk(String path, DiskFormat format, Optional<Kernel> directKernel) implements BootSource {
        public Disk {
            RelativePaths.require("disk", path);
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(directKernel, "directKernel");
        }

        /** A disk the firmware boots. */
        public Disk(String path, DiskFormat format) {
            this(path, format, Optional.empty());
        }
    }

    /**
     * A shared, read-only base image and this VM's own copy-on-write overlay (DESIGN.md §17). The base lies under
     * {@code imagesRoot/bases/}; the overlay is always {@code imagesRoot/overlays/<vm>.qcow2}, so no two VMs can
     * share one.
     *
     * @param format       the base's format; the overlay is always qcow2
     * @param directKernel present: QEMU loads this kernel and the overlay holds the root filesystem
     */
    record BaseImage(String base, DiskFormat format, Optional<Kernel> directKernel) implements BootSource {
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
            Objects.requireNonNull(directKernel, "directKernel");
        }

        /** A base image the firmware boots. */
        public BaseImage(String base, DiskFormat format) {
            this(base, format, Optional.empty());
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

        @Override
        public Optional<Kernel> directKernel() {
            return Optional.of(this);
        }
    }

    enum DiskFormat {
        QCOW2, RAW;

        public String qemuName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
