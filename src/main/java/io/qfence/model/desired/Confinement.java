package io.qfence.model.desired;

import java.util.Objects;

/**
 * Mandatory confinement of each QEMU. AppArmor is {@code REQUIRED} (refuse to plan where it is unavailable),
 * {@code PREFERRED} (use it where available, warn elsewhere) or {@code OFF}; so is the guest jail
 * ({@code namespaces}: QEMU in mount, PID, IPC and UTS namespaces of its own with a minimal root). Seccomp
 * ({@code -sandbox}) is always on; the field exists so that the choice is visible in the desired state, and only
 * {@code ON} is accepted.
 */
public record Confinement(AppArmor apparmor, Seccomp seccomp, Namespaces namespaces) {

    public Confinement {
        Objects.requireNonNull(apparmor, "apparmor");
        Objects.requireNonNull(seccomp, "seccomp");
        Objects.requireNonNull(namespaces, "namespaces");
    }

    /** With the default jail setting, {@code required}. */
    public Confinement(AppArmor apparmor, Seccomp seccomp) {
        this(apparmor, seccomp, Namespaces.REQUIRED);
    }

    public enum AppArmor {
        REQUIRED, PREFERRED, OFF
    }

    public enum Seccomp {
        ON
    }

    public enum Namespaces {
        REQUIRED, PREFERRED, OFF
    }
}
