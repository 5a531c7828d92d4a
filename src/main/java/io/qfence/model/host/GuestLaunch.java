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
        Duration stopTimeout) {

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
    }
}
