package io.qfence.host;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.desired.Host;
import io.qfence.model.host.BootStatus;
import io.qfence.model.host.Guest;
import java.util.List;
import java.util.Optional;

/**
 * Observing, starting and stopping QEMU guests. Apply calls it for the START, STOP and restart changes of a plan;
 * observation calls it to find qfence's guests.
 *
 * <p>Trust: everything a guest's QEMU can write (its run directory, its pidfile, its QMP answers) is untrusted. The
 * authoritative record of which guests qfence started, with which pid and configuration, is root-owned and lives in
 * the host's {@code stateDir}.
 */
public interface GuestPort {

    /**
     * qfence's guests on this host, as {@link Guest} objects whose {@code state} and {@code runtime} describe what was
     * found (RUNNING, PAUSED, STOPPED, CRASHED with its cause). {@code realized} tells observation which guests to
     * expect and where; guests qfence started that are no longer realized (orphans) are returned too, so that the plan
     * can stop them.
     */
    List<Guest> observe(List<Guest> realized) throws HostPortException;

    /**
     * QEMU processes that run as one of the host's VM uids but that {@link #observe} did not return ({@code found}):
     * not in a VM cgroup under qfence's cgroup parent, not recorded, not behind a realized guest's pidfile. qfence's
     * launch chain puts every QEMU it starts in its cgroups before exec, so qfence did not start these; they are
     * reported (state and plan show them as warnings, with what qfence will do: nothing) rather than killed, since
     * qfence does not end what it cannot show it started. Empty where the port cannot tell.
     */
    default List<io.qfence.model.host.ForeignObject> unowned(List<Guest> found) throws HostPortException {
        return List.of();
    }

    /**
     * Base images under {@code imagesRoot/bases/} that no realized guest uses, and overlays under
     * {@code imagesRoot/overlays/} of VMs that are no longer realized (DESIGN.md §17): reported (warnings in state and
     * plan), never deleted. Empty where the port cannot tell.
     */
    default List<io.qfence.model.host.ForeignObject> unusedImages(List<Guest> realized) throws HostPortException {
        return List.of();
    }

    /**
     * One realized guest, as {@link #observe} would show it, found without looking at any other guest: apply checks
     * each guest with it after its start or stop, while other guests may still be booting and slow to answer their
     * monitors. Empty when qfence has no record of it and no QEMU of its runs.
     */
    Optional<Guest> find(Guest realized) throws HostPortException;

    /**
     * Starts a realized guest whose tap, cgroup and firewall are already in place: spawn paused ({@code -S}), verify
     * its uid, seccomp mode, capabilities and cgroup membership, then {@code cont}. Returns once it runs; on any failed
     * check the guest is killed and an exception names the check. Starting a guest that already runs with the same
     * config digest is a no-op.
     */
    void start(Guest guest, Progress progress) throws HostPortException;

    /**
     * Stops a guest: ACPI power-down, wait up to its stop timeout, {@code quit}, then SIGKILL by pid; each step is
     * reported. Stopping a guest that is not running is a no-op. Never deletes the guest's images.
     */
    void stop(Guest guest, Progress progress) throws HostPortException;

    /**
     * Why starting {@code starting} would fail for certain, known without changing anything: a missing QEMU binary, a
     * missing images root or image, a run directory that cannot be created. Checked when a live plan is made, so that
     * the plan shows it and an apply stops before its first change. Empty when nothing is known to be wrong (a fake).
     */
    default List<String> preflight(List<Guest> starting) throws HostPortException {
        return List.of();
    }

    /**
     * What the guest's serial console says about its boot (cloud-init finished or not), read from the console log
     * without any agent in the guest or port on the host. {@code expectedInstanceId}: the instance id of the seed qfence
     * gave the guest, when known; a readiness line for another id is not "ready". The guest's output is untrusted: the
     * adapter parses it strictly and bounded. {@link BootStatus.Unknown} where the port cannot tell (a fake).
     */
    default BootStatus bootStatus(Guest guest, Optional<String> expectedInstanceId) throws HostPortException {
        return new BootStatus.Unknown("this host port reads no consoles");
    }

    /**
     * The port for one host of the desired state, after its overrides: its {@code stateDir} holds the record of the
     * guests qfence started (so that orphans are found with nothing realized), its {@code imagesRoot} bounds every
     * image. The engine binds the port before it observes. A port that needs neither (a fake) is its own binding.
     */
    default GuestPort forHost(Host host) {
        return this;
    }

    /** What a decorated start does around the start of the port it decorates ({@link #startingThrough}). */
    @FunctionalInterface
    interface StartAround {
        /** Starts {@code guest}, calling {@code inner.start} (or refusing to, as a port fails). */
        void start(GuestPort inner, Guest guest, Progress progress) throws HostPortException;
    }

    /**
     * {@code inner} with every start made through {@code around}: observing, finding, a boot's status and stopping are
     * {@code inner}'s.
     * For the guests of a sandbox, whose port is bound already and holds no guest but its own: {@link #unowned},
     * {@link #preflight} and {@link #forHost} keep their defaults (none, none, itself). {@code verify} times its starts
     * with it, and its sandbox refuses starts during teardown.
     */
    static GuestPort startingThrough(GuestPort inner, StartAround around) {
        java.util.Objects.requireNonNull(inner, "inner");
        java.util.Objects.requireNonNull(around, "around");
        return new GuestPort() {
            @Override
            public List<Guest> observe(List<Guest> realized) {
                return inner.observe(realized);
            }

            @Override
            public Optional<Guest> find(Guest realized) {
                return inner.find(realized);
            }

            @Override
            public BootStatus bootStatus(Guest guest, Optional<String> expectedInstanceId) {
                return inner.bootStatus(guest, expectedInstanceId);
            }

            @Override
            public void start(Guest guest, Progress progress) {
                around.start(inner, guest, progress);
            }

            @Override
            public void stop(Guest guest, Progress progress) {
                inner.stop(guest, progress);
            }
        };
    }
}
