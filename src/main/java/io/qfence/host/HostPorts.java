package io.qfence.host;

import java.util.Objects;

/**
 * Everything qfence can observe and change on one host, as ports. The composition root builds one from the real
 * adapters ({@link HostConnector}); tests may build one from fakes. Closing it releases the adapters' sockets and
 * threads (never anything on the host).
 *
 * <p>Failures: every port method that fails because of the host throws {@link io.qfence.model.errors.HostPortException}
 * (and declares it), naming its port, the operation, the object and the errno or cause. Adapters translate their own
 * exceptions at their edge; none of them crosses a port, so the layers above handle one closed vocabulary, and
 * anything else a port throws is a programming error.
 */
public record HostPorts(HostFactsPort facts, LinkPort links, SysctlPort sysctls, FirewallPort firewall, CgroupPort cgroups,
                        GuestPort guests, AutoCloseable resources) implements AutoCloseable {

    public HostPorts {
        Objects.requireNonNull(facts, "facts");
        Objects.requireNonNull(links, "links");
        Objects.requireNonNull(sysctls, "sysctls");
        Objects.requireNonNull(firewall, "firewall");
        Objects.requireNonNull(cgroups, "cgroups");
        Objects.requireNonNull(guests, "guests");
        Objects.requireNonNull(resources, "resources");
    }

    public HostPorts(HostFactsPort facts, LinkPort links, SysctlPort sysctls, FirewallPort firewall, CgroupPort cgroups, GuestPort guests) {
        this(facts, links, sysctls, firewall, cgroups, guests, () -> { });
    }

    /** The same host with another guest port, e.g. the real one once the guest lifecycle is wired. */
    public HostPorts withGuests(GuestPort newGuests) {
        return new HostPorts(facts, links, sysctls, firewall, cgroups, newGuests, resources);
    }

    @Override
    public void close() {
        try {
            resources.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("closing the host adapters failed: " + e, e);
        }
    }
}
