package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.junit.jupiter.api.Test;

class TransactionBufferTest {

    private static final TransactionBuffer.ObjectRef CHAIN_FORWARD = new TransactionBuffer.ObjectRef("chain", "forward");

    @Test
    void aNewRulesetIsAddedInOneBufferCountersAndSetsBeforeChainsAndChainsBeforeRules() {
        String buffer = TransactionBuffer.replace(Rulesets.small(), Map.of(), List.of());
        assertThat(buffer).isEqualTo(NormalizerTest.resource("/golden/nft/buffer-new.json"));
    }

    @Test
    void anExistingTableIsFlushedEmptiedAndRefilledKeepingTheNamedCountersStillWanted() {
        Map<String, List<TransactionBuffer.ObjectRef>> existing = new LinkedHashMap<>();
        existing.put("inet qfence", List.of(
                new TransactionBuffer.ObjectRef("counter", "drop_forward"),
                new TransactionBuffer.ObjectRef("counter", "obsolete"),
                new TransactionBuffer.ObjectRef("set", "ports"),
                new TransactionBuffer.ObjectRef("map", "handmade"),
                CHAIN_FORWARD,
                new TransactionBuffer.ObjectRef("chain", "web")));
        existing.put("bridge qfence", List.of(CHAIN_FORWARD));
        String buffer = TransactionBuffer.replace(List.of(Rulesets.small().get(0)), existing, List.of("bridge qfence"));
        assertThat(buffer).isEqualTo(NormalizerTest.resource("/golden/nft/buffer-replace.json"));
    }

    @Test
    void removingATableThatDoesNotExistIsNothingToDo() {
        assertThat(TransactionBuffer.replace(List.of(), Map.of(), List.of("bridge qfence", "inet qfence"))).isEmpty();
    }

    @Test
    void aTableQfenceDoesNotOwnIsRefusedWhetherDesiredRemovedOrListed() {
        NftTable other = new NftTable("inet", "filter", List.of(), List.of(), List.of());
        NftTable ipQfence = new NftTable("ip", "qfence", List.of(), List.of(), List.of());
        assertThatThrownBy(() -> TransactionBuffer.replace(List.of(other), Map.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("qfence writes only tables bridge qfence, inet qfence, never inet filter");
        assertThatThrownBy(() -> TransactionBuffer.replace(List.of(ipQfence), Map.of(), List.of()))
                .hasMessage("qfence writes only tables bridge qfence, inet qfence, never ip qfence");
        assertThatThrownBy(() -> TransactionBuffer.replace(List.of(), Map.of(), List.of("inet other")))
                .hasMessage("qfence writes only tables bridge qfence, inet qfence, never inet other");
        assertThatThrownBy(() -> TransactionBuffer.replace(List.of(), Map.of("inet other", List.of(CHAIN_FORWARD)), List.of()))
                .hasMessage("qfence writes only tables bridge qfence, inet qfence, never inet other");
    }

    @Test
    void aTableCannotBeBothDesiredAndRemoved() {
        assertThatThrownBy(() -> TransactionBuffer.replace(Rulesets.small(), Map.of(), List.of("inet qfence")))
                .hasMessage("table inet qfence is both desired and to be removed");
    }

    /**
     * Whatever tables, inventories and removals it is given, a buffer either is refused or names only qfence's own
     * tables, and never contains a ruleset-wide command.
     */
    @Property(tries = 500)
    @StatisticsReport(onFailureOnly = true)
    void noBufferEverNamesATableQfenceDoesNotOwn(@ForAll("tables") List<NftTable> desired,
                                                 @ForAll("qualifiedNames") List<String> remove,
                                                 @ForAll("inventories") Map<String, List<TransactionBuffer.ObjectRef>> existing) {
        String buffer;
        try {
            buffer = TransactionBuffer.replace(desired, existing, remove);
        } catch (IllegalArgumentException refused) {
            Statistics.collect("refused");
            return;
        }
        Statistics.collect(buffer.isEmpty() ? "nothing to do" : "buffer");
        if (buffer.isEmpty()) {
            return;
        }
        JsonNode root = CanonicalJson.parse(buffer);
        assertThat(root.fieldNames()).toIterable().containsExactly("nftables");
        for (JsonNode command : root.get("nftables")) {
            JsonNode object = command.elements().next();
            String kind = object.fieldNames().next();
            JsonNode o = object.get(kind);
            assertThat(kind).isNotIn("ruleset", "tables", "chains", "sets");
            assertThat(o.path("family").asText()).isIn("inet", "bridge");
            if (kind.equals("table")) {
                assertThat(o.path("name").asText()).isEqualTo("qfence");
            } else {
                assertThat(o.path("table").asText()).isEqualTo("qfence");
            }
        }
    }

    @Property(tries = 500)
    @StatisticsReport(onFailureOnly = true)
    void thePropertyAboveSeesRealBuffersNotOnlyRefusals(@ForAll("tables") List<NftTable> desired,
                                                        @ForAll("qualifiedNames") List<String> remove,
                                                        @ForAll("inventories") Map<String, List<TransactionBuffer.ObjectRef>> existing) {
        boolean produced;
        try {
            produced = !TransactionBuffer.replace(desired, existing, remove).isEmpty();
        } catch (IllegalArgumentException refused) {
            produced = false;
        }
        Statistics.label("outcome").collect(produced ? "buffer" : "no buffer");
        Statistics.label("outcome").coverage(c -> c.check("buffer").percentage(p -> p >= 8.0));
    }

    @Provide
    Arbitrary<List<NftTable>> tables() {
        Arbitrary<String> family = Arbitraries.frequency(Tuple.of(6, "inet"), Tuple.of(6, "bridge"), Tuple.of(1, "ip"), Tuple.of(1, "ip6"), Tuple.of(1, "arp"), Tuple.of(1, "netdev"));
        Arbitrary<String> name = Arbitraries.frequency(Tuple.of(12, "qfence"), Tuple.of(1, "filter"), Tuple.of(1, "qfence2"), Tuple.of(1, "Qfence"));
        Arbitrary<List<NftChain>> chains = Arbitraries.of("forward", "input", "web").map(n -> Rulesets.regular(n)).list().ofMaxSize(2).uniqueElements(NftChain::name);
        Arbitrary<List<String>> counters = Arbitraries.of("c1", "c2").list().ofMaxSize(2).uniqueElements();
        return Combinators.combine(family, name, chains, counters)
                .as((f, n, c, k) -> new NftTable(f, n, c, List.of(), k)).list().ofMaxSize(2).uniqueElements(NftTable::qualifiedName);
    }

    @Provide
    Arbitrary<List<String>> qualifiedNames() {
        return Combinators.combine(Arbitraries.frequency(Tuple.of(8, "inet"), Tuple.of(8, "bridge"), Tuple.of(1, "ip"), Tuple.of(1, "netdev")),
                        Arbitraries.frequency(Tuple.of(16, "qfence"), Tuple.of(1, "filter"), Tuple.of(1, "nat")))
                .as((f, n) -> f + " " + n).list().ofMaxSize(1);
    }

    @Provide
    Arbitrary<Map<String, List<TransactionBuffer.ObjectRef>>> inventories() {
        Arbitrary<List<TransactionBuffer.ObjectRef>> objects = Combinators.combine(Arbitraries.of("chain", "set", "map", "counter", "quota"), Arbitraries.of("a", "b", "forward"))
                .as(TransactionBuffer.ObjectRef::new).list().ofMaxSize(4);
        return Arbitraries.maps(qualifiedNames().map(l -> l.isEmpty() ? "inet qfence" : l.get(0)), objects).ofMaxSize(2)
                .map(m -> new LinkedHashMap<>(m));
    }

}
