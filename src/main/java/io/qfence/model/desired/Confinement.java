package io.qfence.model.desired;

import java.util.Objects;

/**
 * Mandatory confinement of each QEMU. AppArmor is {@code REQUIRED} (refuse to plan where it is unavailable),
 * {@code PREFERRED} (use it where available, warn elsewhere) or {@code OFF}. Seccomp ({@code -sandbox}) is always on;
 * the field exists so that the choice is visible in the desired state, and only {@code ON} is accepted.
 */
public record Confinement(AppArmor apparmor, Seccomp seccomp) {

    public Confinement {
        Objects.requireNonNull(apparmor, "apparmor");
        Objects.requireNonNull(seccomp, "seccomp");
    }

    public enum AppArmor {
        REQUIRED, PREFERRED, OFF
    }

    public enum Seccomp {
        ON
    }
}
