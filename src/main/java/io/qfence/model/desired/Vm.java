package io.qfence.model.desired;

import io.qfence.model.ByteSize;
import io.qfence.model.Ipv4Address;
import io.qfence.model.MacAddress;
import io.qfence.model.Origin;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One virtual machine.
 *
 * @param cpus        virtual CPUs given to the guest
 * @param memory      guest RAM
 * @param mac         fixed MAC, or empty to derive one deterministically from the group and VM names
 * @param ip          the guest's address in its group's subnet; required for bridged VMs, absent for user-mode VMs
 *                    (slirp gives the guest its own private address)
 * @param limits      this VM's own cgroup limits; absent values are derived from {@code cpus} and {@code memory}
 * @param stopTimeout how long a graceful ACPI shutdown may take before qfence escalates to {@code quit}
 */
public record Vm(
        String name,
        int cpus,
        ByteSize memory,
        BootSource boot,
        Optional<MacAddress> mac,
        Optional<Ipv4Address> ip,
        NetworkMode network,
        VmState state,
        Limits limits,
        Duration stopTimeout,
        Origin origin) {

    /**
     * What a QEMU process needs beyond the guest's RAM, added to a VM's derived cgroup memory limit. Measured here
     * (HOST-FACTS): a TCG guest has about 200 MB of RSS, and a 96 MiB guest was OOM-killed under a 128 MB limit; 224 MiB
     * covers the translation cache ({@code tb-size=16}), device emulation and QEMU's own heap with some margin.
     */
    public static final ByteSize QEMU_MEMORY_OVERHEAD = ByteSize.ofMebibytes(224);

    public Vm {
        Names.requireDnsLabel("vm", name);
        if (cpus < 1 || cpus > 255) {
            throw new IllegalArgumentException("vm " + name + ": cpus must be 1..255, got " + cpus);
        }
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(boot, "boot");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(ip, "ip");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        Objects.requireNonNull(origin, "origin");
        if (stopTimeout.isNegative()) {
            throw new IllegalArgumentException("vm " + name + ": stopTimeout cannot be negative");
        }
    }
}
