package io.qfence.model.host;

import java.util.List;
import java.util.Objects;

/**
 * One of qfence's own tables ({@code inet qfence}, {@code bridge qfence}). Chains keep their order; sets and named
 * counters are sorted by name.
 *
 * @param counters names of the table's named counters (their values are observation-only, see {@code CounterSample})
 */
public record NftTable(String family, String name, List<NftChain> chains, List<NftSet> sets, List<String> counters) {

    public NftTable {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(name, "name");
        chains = List.copyOf(chains);
        sets = sets.stream().sorted(java.util.Comparator.comparing(NftSet::name)).toList();
        counters = counters.stream().sorted().toList();
    }

    /** {@code inet qfence}: how nft names a table. */
    public String qualifiedName() {
        return family + " " + name;
    }
}
