package io.qfence.host;

import io.qfence.model.host.GuestConfinement;
import io.qfence.model.host.GuestLaunch;
import java.util.Optional;

/**
 * Reads the confinement a process really has from the kernel ({@code /proc/PID}), never from a configuration: its
 * ids, capabilities, {@code no_new_privs}, seccomp, AppArmor label, namespaces, root, cgroups and open descriptors
 * (DESIGN.md §9, "The confinement report"). The guest adapter attaches it to every running guest it observes.
 */
public interface ConfinementPort {

    /**
     * The confinement of process {@code pid}, a guest placed by {@code launch} (its run directory and images are the
     * files it may hold open); empty when the process has ended or cannot be read.
     */
    Optional<GuestConfinement> read(long pid, GuestLaunch launch);
}
