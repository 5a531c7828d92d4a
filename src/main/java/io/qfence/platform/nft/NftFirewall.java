package io.qfence.platform.nft;

import io.qfence.host.FirewallPort;
import io.qfence.host.ObservedFirewall;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Capability;
import io.qfence.model.host.Firewall;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@link FirewallPort} over libnftables. Observation returns the owned tables normalized, with whatever the model
 * cannot express in them ({@code NftTable.unmodelled}): since nobody but qfence writes those tables, the plan then
 * sees a firewall that differs from the realized one, and its transaction (flush and refill) removes the rest.
 *
 * <p>Every method fails with {@link HostPortException} (port {@code firewall}; {@code host} for {@link #families()}),
 * with libnftables' message; its own exceptions stay inside this package ({@link FirewallPortEdge}).
 */
public final class NftFirewall implements FirewallPort {

    private final NftClient client;

    public NftFirewall(NftClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    @Override
    public ObservedFirewall observe() {
        FirewallObservation o = FirewallPortEdge.call(HostPortException.Port.FIREWALL, "nft ruleset", client::observeFirewall);
        return new ObservedFirewall(o.firewall(), o.counters(), o.foreignTables());
    }

    @Override
    public java.util.Optional<Firewall> current() {
        return FirewallPortEdge.call(HostPortException.Port.FIREWALL, FirewallPortEdge.OWNED_TABLES, client::currentTables);
    }

    @Override
    public void apply(Firewall firewall) {
        FirewallPortEdge.run(FirewallPortEdge.OWNED_TABLES, () -> client.apply(firewall));
    }

    @Override
    public void remove() {
        FirewallPortEdge.run(FirewallPortEdge.OWNED_TABLES, () -> client.replace(List.of(), TransactionBuffer.ownedNames()));
    }

    /**
     * The nft families qfence writes that this kernel supports ({@link Capability#NFT_INET}, {@link Capability#NFT_BRIDGE}),
     * found by dry-running the creation of an empty owned table in each: nothing is committed.
     */
    public Set<Capability> families() throws HostPortException {
        return FirewallPortEdge.call(HostPortException.Port.HOST, "nft families", () -> {
            Set<Capability> found = EnumSet.noneOf(Capability.class);
            for (String family : List.of("inet", "bridge")) {
                if (client.supportsFamily(family)) {
                    found.add(family.equals("inet") ? Capability.NFT_INET : Capability.NFT_BRIDGE);
                }
            }
            return found;
        });
    }
}
