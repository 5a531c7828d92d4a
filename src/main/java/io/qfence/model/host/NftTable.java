package io.qfence.model.host;

import java.util.List;
import java.util.Objects;

/**
 * One of qfence's own tables ({@code inet qfence}, {@code bridge qfence}). Chains keep their order; sets and named
 * counters are sorted by name.
 *
 * @param counters   names of the table's named counters (their values are observation-only, see {@code CounterSample})
 * @param unmodelled what observation found in the table that this model cannot express (a map, a quota, a chain's
 *                   comment...), one human-readable line each, sorted. Realization never produces any: nobody but
 *                   qfence writes this table, so every entry is drift, and a plan that compares a realized table with
 *                   an observed one that has entries here updates the firewall, whose transaction removes them.
 */
public record NftTable(String family, String name, List<NftChain> chains, List<NftSet> sets, List<String> counters,
                       List<String> unmodelled) {

    public NftTable {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(name, "name");
        chains = List.copyOf(chains);
        sets = sets.stream().sorted(java.util.Comparator.comparing(NftSet::name)).toList();
        counters = counters.stream().sorted().toList();
        unmodelled = unmodelled.stream().sorted().toList();
    }

    /** A table with nothing unmodelled: what realization produces. */
    public NftTable(String family, String name, List<NftChain> chains, List<NftSet> sets, List<String> counters) {
        this(family, name, chains, sets, counters, List.of());
    }

    /** {@code inet qfence}: how nft names a table. */
    public String qualifiedName() {
        return family + " " + name;
    }
}
