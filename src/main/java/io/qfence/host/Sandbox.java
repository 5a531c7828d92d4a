package io.qfence.host;

import io.qfence.model.Ipv4Address;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.host.CgroupLimits;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A throwaway host for {@code qfence verify} and {@code qfence demo}: a private network namespace standing in for the
 * host, an "outside" namespace beyond its uplink (the internet, outside clients), a private cgroup subtree, and
 * private run, state and image directories. Nothing in it is shared with the real host, and {@link #close()} removes
 * all of it (also from a shutdown hook, so an interrupted run leaves nothing behind).
 *
 * <p>Like every port, it fails in the model's vocabulary: what cannot be set up (a namespace, the uplink, a listener,
 * a guest's console) is a {@link io.qfence.model.errors.HostPortException} naming the port, object and operation.
 */
public interface Sandbox extends AutoCloseable {

    /** The sandbox's name, e.g. {@code qfence-verify-1a2b3c4d}: its namespaces, cgroups and directories carry it. */
    String name();

    /** The network namespace that stands in for the host (a mount under the netns directory). */
    Path hostNamespace();

    /** Where the desired state's host is re-rooted: private directories and the sandbox's cgroup parent. */
    HostOverrides overrides();

    /**
     * What this machine can do (cgroup version, kernel features), for realization: detected as the live host's facts
     * are, by the same code, so that the sandbox and the live host agree.
     */
    HostFacts facts();

    /**
     * The guests of the sandbox's host. Everything else (host settings, links, the firewall, cgroups) is put in place
     * as {@code qfence apply} does it, through the ports of the host in {@link #hostNamespace()}.
     */
    GuestPort guests();

    /**
     * Connects the host to an outside world: a veth uplink whose host end has {@code world.hostAddress()} and a
     * default route to the outside end, which holds {@code world.routerAddress()} and every address in
     * {@code world.outsideAddresses()} (the stand-in internet hosts and outside clients), with routes back to the
     * host for {@code world.routedToHost()}.
     */
    void connectOutside(OutsideWorld world, Progress progress);

    /** Starts listeners that answer probes with their banner, until {@link #close()}. */
    void listen(List<Listener> listeners);

    /** Waits until the guest's serial console runs a shell (it has booted, its network and listeners are up). */
    void awaitConsole(Guest guest, Duration timeout);

    /** Runs probes from inside a guest, in parallel, over its serial console; one result per probe. */
    List<ProbeResult> probeFromGuest(Guest guest, List<Probe> probes);

    /** Runs probes from the outside namespace, from {@code source} (one of the outside addresses), in parallel. */
    List<ProbeResult> probeFromOutside(Ipv4Address source, List<Probe> probes);

    /**
     * The hard limits the kernel enforces on the cgroup at {@code path} now (read back through the cgroup adapter,
     * the one place that knows the files' formats), or empty when it does not exist.
     */
    Optional<CgroupLimits> cgroupLimits(String path);

    /**
     * Stops every guest, removes the namespaces, the cgroups and the directories, reporting each step to the
     * progress the sandbox was created with. Idempotent; never throws.
     */
    @Override
    void close();

    /** What {@link #close()} removed or could not remove, for the report. */
    List<String> teardownReport();

    /** The outside world beyond the sandbox host's uplink. */
    record OutsideWorld(Ipv4Address hostAddress, Ipv4Address routerAddress, int prefixLength, List<Ipv4Address> outsideAddresses,
            List<io.qfence.model.Ipv4Cidr> routedToHost) {
        public OutsideWorld {
            java.util.Objects.requireNonNull(hostAddress, "hostAddress");
            java.util.Objects.requireNonNull(routerAddress, "routerAddress");
            if (prefixLength < 8 || prefixLength > 30) {
                throw new IllegalArgumentException("uplink prefix length must be 8..30, got " + prefixLength);
            }
            outsideAddresses = List.copyOf(outsideAddresses);
            routedToHost = List.copyOf(routedToHost);
        }
    }

    /**
     * A listener: on the host (on one of its addresses, or on all of them, loopback included, when {@code address} is
     * empty) or on one outside address; it answers each TCP connection or UDP datagram with {@code banner} and the
     * peer's address. A UDP listener should be bound to one address: a reply from an unbound socket leaves from
     * whichever address routes back to the peer, and a client's connected socket ignores it.
     */
    record Listener(Side side, Optional<Ipv4Address> address, ProbeProtocol protocol, int port, String banner) {
        public enum Side { HOST, OUTSIDE }

        public Listener {
            java.util.Objects.requireNonNull(side, "side");
            java.util.Objects.requireNonNull(address, "address");
            java.util.Objects.requireNonNull(protocol, "protocol");
            if (protocol == ProbeProtocol.ICMP || port < 1 || port > 65535) {
                throw new IllegalArgumentException("a listener is TCP or UDP on a port 1..65535, got " + protocol + " " + port);
            }
            if (side == Side.OUTSIDE && address.isEmpty()) {
                throw new IllegalArgumentException("an outside listener listens on one outside address");
            }
            java.util.Objects.requireNonNull(banner, "banner");
        }
    }

    /** One probe: connect (TCP), exchange a datagram (UDP) or ping (ICMP); {@code port} is 0 for ICMP. */
    record Probe(String id, ProbeProtocol protocol, Ipv4Address address, int port) {
        public Probe {
            if (!id.matches("[a-z0-9]{1,16}")) {
                throw new IllegalArgumentException("probe ids are 1..16 lowercase letters and digits, got '" + id + "'");
            }
            java.util.Objects.requireNonNull(protocol, "protocol");
            java.util.Objects.requireNonNull(address, "address");
            if (protocol == ProbeProtocol.ICMP ? port != 0 : port < 1 || port > 65535) {
                throw new IllegalArgumentException("probe " + id + ": port " + port + " does not fit " + protocol);
            }
        }
    }

    /**
     * What a probe got: {@code answered} when a banner came back (TCP, UDP) or the ping was answered; {@code answer} is
     * the banner or the ping reply, else the reason nothing came (e.g. {@code nc: timed out}, {@code Connection refused}).
     */
    record ProbeResult(String id, boolean answered, String answer) {
        public ProbeResult {
            java.util.Objects.requireNonNull(id, "id");
            java.util.Objects.requireNonNull(answer, "answer");
        }
    }

    enum ProbeProtocol { TCP, UDP, ICMP }
}
