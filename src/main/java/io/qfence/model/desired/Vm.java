package io.qfence.model.desired;

import io.qfence.model.ByteSize;
import io.qfence.model.Ipv4Address;
import io.qfence.model.MacAddress;
import io.qfence.model.MilliCpus;
import io.qfence.model.Origin;
import java.time.Duration;
import java.util.Map;
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
 * @param cloudInit   present: qfence attaches a cloud-init NoCloud seed (DESIGN.md §17)
 * @param labels      free KEY=VALUE tags that invariants select VMs by ({@code label:KEY=VALUE}); over the group's
 * @param host        the host it runs on; empty means "the one host that runs its group" (validation requires it when
 *                    several hosts run the group, and that the host runs the group: DESIGN.md §20)
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
        Optional<CloudInit> cloudInit,
        Map<String, String> labels,
        Optional<String> host,
        Origin origin) {

    /** A VM placed where its group runs (one host), with labels. */
    public Vm(String name, int cpus, ByteSize memory, BootSource boot, Optional<MacAddress> mac, Optional<Ipv4Address> ip,
              NetworkMode network, VmState state, Limits limits, Duration stopTimeout, Optional<CloudInit> cloudInit,
              Map<String, String> labels, Origin origin) {
        this(name, cpus, memory, boot, mac, ip, network, state, limits, stopTimeout, cloudInit, labels, Optional.empty(), origin);
    }

    /** A VM without labels. */
    public Vm(String name, int cpus, ByteSize memory, BootSource boot, Optional<MacAddress> mac, Optional<Ipv4Address> ip,
              NetworkMode network, VmState state, Limits limits, Duration stopTimeout, Optional<CloudInit> cloudInit, Origin origin) {
        this(name, cpus, memory, boot, mac, ip, network, state, limits, stopTimeout, cloudInit, Map.of(), origin);
    }

    /**
     * What a QEMU process costs beyond its guest's RAM, charged to the VM's cgroup when no explicit memory limit is
     * given. Measured on the test machines (HOST-FACTS): a TCG guest has about 200 MB of RSS beyond its RAM, and a
     * 96 MiB guest was OOM-killed under a 128 MB limit. Validation and realization use this one constant.
     */
    public static final ByteSize QEMU_MEMORY_OVERHEAD = ByteSize.ofMebibytes(224);

    /**
     * The pids limit of a VM whose definition sets none. An idle TCG guest uses about 4 tasks (HOST-FACTS), but QEMU's
     * block layer runs a thread pool of up to 64 workers per AioContext under I/O, plus one thread per vCPU and a few
     * helpers, and QEMU aborts when a thread cannot be created. 128 leaves that head-room; the limit still stops a
     * runaway (QEMU cannot fork under {@code -sandbox spawn=deny}, so only threads count).
     */
    public static final long DEFAULT_PIDS = 128;

    /** How long a graceful shutdown may take when the definition does not say. */
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);

    /** A VM without a cloud-init seed. */
    public Vm(String name, int cpus, ByteSize memory, BootSource boot, Optional<MacAddress> mac, Optional<Ipv4Address> ip,
              NetworkMode network, VmState state, Limits limits, Duration stopTimeout, Origin origin) {
        this(name, cpus, memory, boot, mac, ip, network, state, limits, stopTimeout, Optional.empty(), Map.of(), origin);
    }

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
        Objects.requireNonNull(cloudInit, "cloudInit");
        labels = Labels.copyOf("vm " + name, labels);
        Objects.requireNonNull(host, "host");
        host.ifPresent(h -> Names.requireDnsLabel("host", h));
        Objects.requireNonNull(origin, "origin");
        if (stopTimeout.isNegative()) {
            throw new IllegalArgumentException("vm " + name + ": stopTimeout cannot be negative");
        }
    }

    /** This VM placed on {@code hostName}. */
    public Vm onHost(String hostName) {
        return new Vm(name, cpus, memory, boot, mac, ip, network, state, limits, stopTimeout, cloudInit, labels,
                Optional.of(hostName), origin);
    }

    /** The CPU bandwidth this VM asks of its group: its own limit, else one CPU per vCPU. */
    public MilliCpus cpuRequest() {
        return limits.cpus().orElse(MilliCpus.ofCpus(cpus));
    }

    /** The memory this VM asks of its group: its own limit, else its RAM plus {@link #QEMU_MEMORY_OVERHEAD}. */
    public ByteSize memoryRequest() {
        return limits.memory().orElse(memory.plus(QEMU_MEMORY_OVERHEAD));
    }

    /** The tasks this VM asks of its group: its own limit, else {@link #DEFAULT_PIDS}. */
    public long pidsRequest() {
        return limits.pids().orElse(DEFAULT_PIDS);
    }
}
