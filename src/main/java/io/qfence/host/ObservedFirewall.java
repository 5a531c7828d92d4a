package io.qfence.host;

import io.qfence.model.host.CounterSample;
import io.qfence.model.host.Firewall;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link FirewallPort#observe()} found.
 *
 * @param firewall      empty when neither owned table exists
 * @param counters      the values of the owned tables' named counters (drop hits)
 * @param foreignTables every other table, as {@code family name} (e.g. {@code inet filter}): never touched
 */
public record ObservedFirewall(Optional<Firewall> firewall, List<CounterSample> counters, List<String> foreignTables) {

    public ObservedFirewall {
        Objects.requireNonNull(firewall, "firewall");
        counters = List.copyOf(counters);
        foreignTables = List.copyOf(foreignTables);
    }
}
