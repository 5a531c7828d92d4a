package io.qfence.model.desired;

import java.util.Objects;
import java.util.Optional;

/**
 * Re-roots a host's directories: how tests, {@code qfence verify} and the demo run the real code against a private
 * sandbox (their own run, state and image directories, and their own cgroup subtree) without editing the desired
 * state. Applied before realization, so every path the realization derives is consistent with the sandbox.
 */
public record HostOverrides(
        Optional<String> imagesRoot,
        Optional<String> runDir,
        Optional<String> stateDir,
        Optional<String> cgroupParent) {

    public static final HostOverrides NONE = new HostOverrides(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    public HostOverrides {
        Objects.requireNonNull(imagesRoot, "imagesRoot");
        Objects.requireNonNull(runDir, "runDir");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(cgroupParent, "cgroupParent");
    }

    public Host applyTo(Host host) {
        return new Host(host.name(), host.groups(), host.uplink(),
                imagesRoot.orElse(host.imagesRoot()), runDir.orElse(host.runDir()), stateDir.orElse(host.stateDir()),
                cgroupParent.orElse(host.cgroupParent()), host.vmUidRange(), host.qemu(), host.confinement(), host.origin());
    }

    /** The desired state with every host re-rooted (the host record validates the new paths). */
    public DesiredState applyTo(DesiredState state) {
        if (this.equals(NONE)) {
            return state;
        }
        return new DesiredState(state.revision(), state.hosts().stream().map(this::applyTo).toList(), state.groups());
    }
}
