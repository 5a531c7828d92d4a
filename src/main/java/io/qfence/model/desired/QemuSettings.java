package io.qfence.model.desired;

import java.util.Objects;

/** How this host runs QEMU: the binary (absolute path), the accelerator and the default machine type. */
public record QemuSettings(String binary, Accel accel, String machine) {

    public QemuSettings {
        Objects.requireNonNull(binary, "binary");
        if (!binary.startsWith("/")) {
            throw new IllegalArgumentException("qemu binary must be an absolute path, got '" + binary + "'");
        }
        Objects.requireNonNull(accel, "accel");
        Objects.requireNonNull(machine, "machine");
    }

    public enum Accel {
        KVM, TCG;

        public String qemuName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
