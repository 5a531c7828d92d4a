package io.qfence.model.host;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a guest's files are and how it is placed, as realized for the host. Absolute paths.
 *
 * @param runDir     {@code runDir/<vm>}, mode 0700, owned by the VM's uid
 * @param images     the kernel, initrd and disk files this VM alone may open (chowned to its uid, mode 0600)
 * @param cgroupPath the VM's cgroup, relative to the cgroup root
 * @param tap        the tap whose descriptor QEMU receives as fd 3, for bridged VMs
 * @param overlay    the VM's overlay over a shared base image (both are also in {@code images}), DESIGN.md §17
 * @param seed       the cloud-init seed the launcher writes before each start, DESIGN.md §17
 */
public record GuestLaunch(
        String runDir,
        String qmpSocket,
        String serialSocket,
        String serialLog,
        String pidFile,
        List<String> images,
        String cgroupPath,
        Optional<String> tap,
        Duration stopTimeout,
        Optional<Overlay> overlay,
        Optional<CloudInitSeed> seed) {

    /** A guest without an overlay or a seed. */
    public GuestLaunch(String runDir, String qmpSocket, String serialSocket, String serialLog, String pidFile, List<String> images,
                       String cgroupPath, Optional<String> tap, Duration stopTimeout) {
        this(runDir, qmpSocket, serialSocket, serialLog, pidFile, images, cgroupPath, tap, stopTimeout, Optional.empty(), Optional.empty());
    }

    public GuestLaunch {
        for (String p : List.of(runDir, qmpSocket, serialSocket, serialLog, pidFile)) {
            if (!p.startsWith("/")) {
                throw new IllegalArgumentException("guest paths must be absolute: " + p);
            }
        }
        images = List.copyOf(images);
        Objects.requireNonNull(cgroupPath, "cgroupPath");
        Objects.requireNonNull(tap, "tap");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        Objects.requireNonNull(overlay, "overlay");
        Objects.requireNonNull(seed, "seed");
        if (overlay.isPresent() && !(images.contains(overlay.get().path()) && images.contains(overlay.get().base()))) {
            throw new IllegalArgumentException("the overlay " + overlay.get().path() + " and its base " + overlay.get().base()
                    + " must be among the images");
        }
    }

    /** The images QEMU opens only to read and that other VMs may share: a base image (boot files are the argv's). */
    public List<String> sharedImages() {
        return overlay.map(o -> List.of(o.base())).orElse(List.of());
    }
}
