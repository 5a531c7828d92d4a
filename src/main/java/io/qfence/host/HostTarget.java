package io.qfence.host;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Which host a {@link HostConnector} connects to: this machine, optionally confined to one network namespace and with
 * its cgroup hierarchies mounted elsewhere than {@code /sys/fs/cgroup}.
 *
 * @param netns      a network namespace to manage instead of the caller's own: a name in {@code /run/netns} (as
 *                   {@code ip netns add} makes them) or a path to a namespace file (e.g. {@code /proc/PID/ns/net})
 * @param cgroupRoot where the cgroup hierarchies are mounted; {@code /sys/fs/cgroup} when empty
 */
public record HostTarget(Optional<String> netns, Optional<Path> cgroupRoot) {

    public static final HostTarget THIS_HOST = new HostTarget(Optional.empty(), Optional.empty());

    public HostTarget {
        Objects.requireNonNull(netns, "netns");
        Objects.requireNonNull(cgroupRoot, "cgroupRoot");
        netns.ifPresent(n -> {
            if (n.isEmpty() || n.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid network namespace '" + n + "'");
            }
        });
    }
}
