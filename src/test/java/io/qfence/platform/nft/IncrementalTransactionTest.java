package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link TransactionBuffer#incremental}: only what differs, or nothing (flush and refill) when in doubt. */
class IncrementalTransactionTest {

    private static final NftTable INET = Rulesets.small().get(0);
    private static final NftTable BRIDGE = Rulesets.small().get(1);
    private static final Map<String, NftTable> CURRENT = Map.of("inet qfence", INET, "bridge qfence", BRIDGE);

    @Test
    void identicalTablesNeedNoCommandAtAll() {
        assertThat(TransactionBuffer.incremental(CURRENT, List.of(INET, BRIDGE), List.of())).get()
                .satisfies(d -> assertThat(d.buffer()).isEmpty());
    }

    @Test
    void aChangedChainIsFlushedAndRefilledAndNothingElseIsTouched() {
        NftTable changed = withWebRules(INET, Rulesets.rule("[{\"drop\":null}]", "qf:x"));

        TransactionBuffer.Delta d = TransactionBuffer.incremental(CURRENT, List.of(changed, BRIDGE), List.of()).orElseThrow();

        assertThat(TransactionBuffer.commands(d.buffer())).containsExactly(
                "{\"flush\":{\"chain\":{\"family\":\"inet\",\"table\":\"qfence\",\"name\":\"web\"}}}",
                "{\"add\":{\"rule\":{\"family\":\"inet\",\"table\":\"qfence\",\"chain\":\"web\",\"expr\":[{\"drop\":null}],\"comment\":\"qf:x\"}}}");
        assertThat(d.touched()).containsExactly(new TransactionBuffer.Touched("inet", List.of("web"), List.of()));
    }

    @Test
    void setElementsAreDeletedAndAddedOneByOneAndCountersKeptOrAdded() {
        NftSet ports = INET.sets().get(0);
        NftTable changed = new NftTable("inet", "qfence", INET.chains(),
                List.of(new NftSet("ports", ports.type(), ports.flags(), List.of("443", "{\"range\":[8000,8080]}"))),
                List.of("drop_forward", "more"));

        TransactionBuffer.Delta d = TransactionBuffer.incremental(CURRENT, List.of(changed, BRIDGE), List.of()).orElseThrow();

        assertThat(TransactionBuffer.commands(d.buffer())).containsExactly(
                "{\"delete\":{\"element\":{\"family\":\"inet\",\"table\":\"qfence\",\"name\":\"ports\",\"elem\":[22]}}}",
                "{\"add\":{\"counter\":{\"family\":\"inet\",\"table\":\"qfence\",\"name\":\"more\"}}}",
                "{\"add\":{\"element\":{\"family\":\"inet\",\"table\":\"qfence\",\"name\":\"ports\",\"elem\":[443]}}}");
        assertThat(d.touched()).containsExactly(new TransactionBuffer.Touched("inet", List.of(), List.of("ports")));
    }

    @Test
    void anythingButRulesElementsSetsAndCountersMeansFlushAndRefill() {
        List<NftChain> reordered = new ArrayList<>(INET.chains());
        java.util.Collections.reverse(reordered);
        NftChain forward = INET.chains().get(0);
        NftChain rehooked = new NftChain("forward", Optional.of(new NftChain.Hook("filter", "forward", 10, "drop")), forward.rules());
        NftSet ports = INET.sets().get(0);

        assertThat(incremental(new NftTable("inet", "qfence", reordered, INET.sets(), INET.counters()))).isEmpty();
        assertThat(incremental(new NftTable("inet", "qfence", List.of(rehooked, INET.chains().get(1)), INET.sets(), INET.counters()))).isEmpty();
        assertThat(incremental(new NftTable("inet", "qfence", INET.chains(),
                List.of(new NftSet("ports", ports.type(), List.of(), ports.elements())), INET.counters()))).isEmpty();
        NftTable unmodelledNow = new NftTable("inet", "qfence", INET.chains(), INET.sets(), INET.counters(), List.of("quota q"));
        assertThat(TransactionBuffer.incremental(Map.of("inet qfence", unmodelledNow, "bridge qfence", BRIDGE), List.of(INET, BRIDGE), List.of())).isEmpty();
        assertThat(TransactionBuffer.incremental(Map.of("inet qfence", INET), List.of(INET, BRIDGE), List.of())).isEmpty();
        assertThat(TransactionBuffer.incremental(CURRENT, List.of(INET), List.of("bridge qfence"))).isEmpty();
    }

    private static Optional<TransactionBuffer.Delta> incremental(NftTable inet) {
        return TransactionBuffer.incremental(CURRENT, List.of(inet, BRIDGE), List.of());
    }

    private static NftTable withWebRules(NftTable t, io.qfence.model.host.NftRule... rules) {
        List<NftChain> chains = new ArrayList<>();
        for (NftChain c : t.chains()) {
            chains.add(c.name().equals("web") ? new NftChain("web", c.hook(), List.of(rules)) : c);
        }
        return new NftTable(t.family(), t.name(), chains, t.sets(), t.counters());
    }
}
