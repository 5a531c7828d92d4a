package io.qfence.cli;

import io.qfence.host.HostTarget;
import io.qfence.model.desired.HostOverrides;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Which host, and where on this machine: shared by {@code state}, {@code plan} and {@code apply}, and accepted before
 * the command too ({@code qfence --netns qf-demo apply}); a value given after the command wins.
 */
public final class HostOptions {

    @Option(names = "--host", paramLabel = "H", description = "The host of the desired state (default: its only host).")
    String host;

    @Option(names = "--netns", paramLabel = "NAME|PATH",
            description = "Manage this network namespace (a name in /run/netns, or a path such as /proc/PID/ns/net) instead of the current one.")
    String netns;

    @Option(names = "--cgroup-root", paramLabel = "PATH", description = "Where the cgroup hierarchies are mounted (default: /sys/fs/cgroup).")
    Path cgroupRoot;

    @Option(names = "--cgroup-parent", paramLabel = "PATH",
            description = "Use this cgroup parent (relative to the cgroup root) instead of the host's cgroupParent.")
    String cgroupParent;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Use this directory instead of the host's stateDir (lock, records).")
    Path stateDir;

    @Option(names = "--run-dir", paramLabel = "DIR", description = "Use this directory instead of the host's runDir (guests' sockets, pidfiles).")
    Path runDir;

    @Option(names = "--images-root", paramLabel = "DIR", description = "Use this directory instead of the host's imagesRoot.")
    Path imagesRoot;

    /** These options, with the ones given before the command filling what these leave unset. */
    HostOptions over(HostOptions before) {
        HostOptions o = new HostOptions();
        o.host = host != null ? host : before.host;
        o.netns = netns != null ? netns : before.netns;
        o.cgroupRoot = cgroupRoot != null ? cgroupRoot : before.cgroupRoot;
        o.cgroupParent = cgroupParent != null ? cgroupParent : before.cgroupParent;
        o.stateDir = stateDir != null ? stateDir : before.stateDir;
        o.runDir = runDir != null ? runDir : before.runDir;
        o.imagesRoot = imagesRoot != null ? imagesRoot : before.imagesRoot;
        return o;
    }

    Optional<String> host() {
        return Optional.ofNullable(host);
    }

    HostTarget target() {
        return new HostTarget(Optional.ofNullable(netns), Optional.ofNullable(cgroupRoot).map(Path::toAbsolutePath));
    }

    /** Directories are made absolute against the working directory, as the desired state requires. */
    HostOverrides overrides() {
        return new HostOverrides(absolute(imagesRoot), absolute(runDir), absolute(stateDir), Optional.ofNullable(cgroupParent));
    }

    /** Whether any option that only means something for a live host was given. */
    boolean targetsLiveHost() {
        return netns != null || cgroupRoot != null || cgroupParent != null || stateDir != null || runDir != null || imagesRoot != null;
    }

    private static Optional<String> absolute(Path p) {
        return Optional.ofNullable(p).map(x -> x.toAbsolutePath().normalize().toString());
    }
}
