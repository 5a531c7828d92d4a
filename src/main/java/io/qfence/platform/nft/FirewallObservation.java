package io.qfence.platform.nft;

import io.qfence.model.host.CounterSample;
import io.qfence.model.host.Firewall;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * qfence's firewall as observed: the owned tables (if any exists), their named counters' values, what the model
 * cannot express, and the names of all other tables (which qfence reads by name only and never touches).
 *
 * @param firewall      empty when neither owned table exists
 * @param unmodelled    see {@link ObservedTable#unmodelled()}; each line is prefixed with its table
 * @param foreignTables every table that is not qfence's, as {@code family name}, e.g. {@code inet filter}; a table
 *                      named {@code qfence} in a family qfence does not own (e.g. {@code ip qfence}) is listed here
 */
public record FirewallObservation(Optional<Firewall> firewall, List<CounterSample> counters, List<String> unmodelled,
                                  List<String> foreignTables) {

    public FirewallObservation {
        Objects.requireNonNull(firewall, "firewall");
        counters = List.copyOf(counters);
        unmodelled = List.copyOf(unmodelled);
        foreignTables = List.copyOf(foreignTables);
    }
}
