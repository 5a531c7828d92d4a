package io.qfence.app;

import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.model.desired.Host;
import io.qfence.model.host.BootStatus;
import io.qfence.model.host.Guest;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.qemu.ConsoleReadiness;
import io.qfence.platform.qemu.QemuGuests;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The live host's guest port before the engine knows which host of the desired state it serves: the managed network
 * namespace and the cgroup file system are known when the host is opened, the state directory (the record of started
 * guests) and the images root only once the desired state is loaded. {@link #forHost} gives the real port,
 * {@link QemuGuests}; used unbound, the port is a programming error.
 */
final class LiveGuests implements GuestPort {

    private final CgroupFs cgroups;
    private final NetNamespace netns;

    LiveGuests(CgroupFs cgroups, NetNamespace netns) {
        this.cgroups = Objects.requireNonNull(cgroups, "cgroups");
        this.netns = Objects.requireNonNull(netns, "netns");
    }

    @Override
    public GuestPort forHost(Host host) {
        return new QemuGuests(QemuGuests.Settings.of(Path.of(host.imagesRoot()), Path.of(host.stateDir()), cgroups).inNamespace(netns)
                .withCgroupParent(host.cgroupParent()).withVmUids(host.vmUidRange()));
    }

    /**
     * Needs no binding: the realized guest names its console log (an absolute path in its run directory). Without
     * this, {@code apply --wait-ready}, which asks the port the CLI opened, got the default "this host port reads no
     * consoles" for every guest and timed out (found by RealGuestsThroughTheBastionTest).
     */
    @Override
    public BootStatus bootStatus(Guest guest, Optional<String> expectedInstanceId) {
        return ConsoleReadiness.read(Path.of(guest.launch().serialLog()), expectedInstanceId);
    }

    @Override
    public List<Guest> observe(List<Guest> realized) {
        throw unbound();
    }

    @Override
    public Optional<Guest> find(Guest realized) {
        throw unbound();
    }

    @Override
    public void start(Guest guest, Progress progress) {
        throw unbound();
    }

    @Override
    public void stop(Guest guest, Progress progress) {
        throw unbound();
    }

    private static IllegalStateException unbound() {
        return new IllegalStateException("the guest port is used before it was bound to a host (GuestPort.forHost)");
    }
}
