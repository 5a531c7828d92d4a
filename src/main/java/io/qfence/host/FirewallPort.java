package io.qfence.host;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Firewall;
import java.util.Optional;

/**
 * qfence's nft tables ({@code inet qfence}, {@code bridge qfence}) of the managed network namespace. Other tables are
 * read by name only and never written.
 */
public interface FirewallPort {

    /** The owned tables as one {@link Firewall} (with anything unmodelled in them), their counters, and other tables' names. */
    ObservedFirewall observe() throws HostPortException;

    /**
     * The owned tables as they are now (no counters), for post-conditions. An adapter may answer without listing
     * everything when it can prove from the kernel that nothing changed since it last knew them.
     */
    default Optional<Firewall> current() throws HostPortException {
        return observe().firewall();
    }

    /**
     * Makes the owned tables exactly {@code firewall} in one atomic transaction (named counters keep their values):
     * either all of it is in place afterwards, or nothing changed.
     */
    void apply(Firewall firewall) throws HostPortException;

    /** Deletes both owned tables, in one transaction. */
    void remove() throws HostPortException;
}
