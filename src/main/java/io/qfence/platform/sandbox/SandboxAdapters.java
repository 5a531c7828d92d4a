package io.qfence.platform.sandbox;

import io.qfence.host.CgroupPort;
import io.qfence.host.CgroupProcesses;
import io.qfence.host.GuestPort;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.host.HostFacts;
import io.qfence.platform.os.NetNamespace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;

/**
 * What a {@link NetnsSandbox} needs from the adapters, handed to it by the composition root ({@code app.Main}), so that
 * this package builds no adapter itself and uses none directly (DESIGN §1): the sandbox decides what to wire, the root
 * decides with what.
 *
 * @param facts    the host's facts as the live host detects them, for the host whose network namespace is at this
 *                 path: one detector, so that verify's sandbox and the live host never disagree about the kernel
 * @param cgroups  this machine's cgroups, for the sandbox's own subtree (read back, weighed, removed)
 * @param cgroupProcesses where a cgroup's directories are and which processes it holds (made, and emptied at teardown)
 * @param guests   the guest port of a host in a network namespace, with its images and state directories
 * @param links    opens a client for the links the sandbox wires itself, in a network namespace
 * @param consoles connects to a guest's serial console socket
 */
public record SandboxAdapters(Function<Path, HostFacts> facts, CgroupPort cgroups, CgroupProcesses cgroupProcesses,
                              GuestPorts guests, Function<NetNamespace, Links> links, Function<Path, Console> consoles) {

    public SandboxAdapters {
        Objects.requireNonNull(facts, "facts");
        Objects.requireNonNull(cgroups, "cgroups");
        Objects.requireNonNull(cgroupProcesses, "cgroupProcesses");
        Objects.requireNonNull(guests, "guests");
        Objects.requireNonNull(links, "links");
        Objects.requireNonNull(consoles, "consoles");
    }

    /** Makes the guest port of a host in {@code netns} whose guests' images and records are in the given directories. */
    @FunctionalInterface
    public interface GuestPorts {
        GuestPort in(NetNamespace netns, Path imagesRoot, Path stateDir);
    }

    /**
     * The links the sandbox wires for itself: loopback, and the veth uplink to its outside namespace with addresses and
     * routes. They are not qfence's objects (no {@code qf} name, no alias), so the {@code host.LinkPort}, which changes
     * only qfence's own links, is not the way to make them. Each method fails as the ports do, with a
     * {@link io.qfence.model.errors.HostPortException} (opening: port {@code host}; the rest: port {@code links}).
     */
    public interface Links extends AutoCloseable {

        void setUp(String link);

        /** A veth pair: {@code name} here, {@code peer} in {@code peerNamespace}. */
        void createVethPair(String name, String peer, NetNamespace peerNamespace);

        /** @param cidr an interface address with its prefix length, e.g. {@code 203.0.113.1/24} */
        void addAddress(String link, String cidr);

        void addRoute(Ipv4Cidr destination, Ipv4Address via, String link);

        @Override
        void close();
    }

    /**
     * A guest's serial console, where the probe guest's shell runs the probes. Each method fails as the guest port
     * does, with a {@link io.qfence.model.errors.HostPortException} (port {@code guests}).
     */
    public interface Console extends AutoCloseable {

        /** Waits until the shell answers, trying every {@code attemptEvery}, within {@code timeout}; throws if not. */
        void awaitShell(Duration timeout, Duration attemptEvery);

        /** Runs one command line in the guest's shell and returns what it printed, within {@code timeout}. */
        String run(String command, Duration timeout);

        @Override
        void close();
    }
}
