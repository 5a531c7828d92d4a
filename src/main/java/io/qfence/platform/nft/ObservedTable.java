package io.qfence.platform.nft;

import io.qfence.model.host.CounterSample;
import io.qfence.model.host.NftTable;
import java.util.List;
import java.util.Objects;

/**
 * One of qfence's tables as the kernel holds it, normalized.
 *
 * @param table      the table in canonical form, comparable with a realized {@link NftTable}; it carries the
 *                   {@code unmodelled} lines too, so that it differs from any realized table while they exist
 * @param counters   the values of the table's named counters (observation only: never part of the table)
 * @param unmodelled things in the table that {@link NftTable} cannot express (a map, a quota, a set's timeout, a
 *                   chain's comment...), one human-readable line each. Nobody but qfence writes this table, so any
 *                   entry here is drift; the next {@link NftClient#replace} removes it.
 */
public record ObservedTable(NftTable table, List<CounterSample> counters, List<String> unmodelled) {

    public ObservedTable {
        Objects.requireNonNull(table, "table");
        counters = List.copyOf(counters);
        unmodelled = List.copyOf(unmodelled);
    }
}
