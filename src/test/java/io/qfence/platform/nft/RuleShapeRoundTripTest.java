package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import io.qfence.testing.RequiresHost;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The promise of DESIGN.md §7, shape by shape, on the real kernel, each in its own namespace:
 * <ol>
 *   <li>the catalogued {@code expr} is exactly what nft lists (normalized) for the shape's nft syntax, loaded by the
 *       CLI;</li>
 *   <li>written by the client as JSON, listed and normalized, the table comes back unchanged;</li>
 *   <li>and writing what was listed again changes nothing: a fixed point.</li>
 * </ol>
 */
@RequiresHost(tools = {"nft", "ip"})
class RuleShapeRoundTripTest {

    static final String ADAPTER_CATALOGUE = "/nft/adapter-rule-shapes.json";
    static final String REALIZER_CATALOGUE = "/nft/rule-shapes.json";

    static Stream<RuleShape> adapterShapes() {
        return RuleShape.load(ADAPTER_CATALOGUE).stream();
    }

    /** The realizer's catalogue, once it is on this branch. */
    static Stream<RuleShape> realizerShapes() {
        return RuleShape.exists(REALIZER_CATALOGUE) ? RuleShape.load(REALIZER_CATALOGUE).stream() : Stream.empty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapterShapes")
    void everyShapeTheAdapterKnowsRoundTrips(RuleShape shape) {
        assertRoundTrip(shape);
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("realizerShapes")
    void everyShapeTheRealizerEmitsRoundTrips(RuleShape shape) {
        assertRoundTrip(shape);
    }

    static void assertRoundTrip(RuleShape shape) {
        try (NftTestNamespace ns = NftTestNamespace.create(); NftClient client = NftClient.open(ns.ns)) {
            // 1. nft syntax through the CLI, listed by the client
            ns.nftScript(shape.script());
            NftTable loaded = client.list(shape.family(), "qfence").orElseThrow();
            List<NftRule> rules = chain(loaded, shape.chain()).rules();
            assertThat(rules).as("%s: nft's listing of %s", shape.name(), shape.nft()).isNotEmpty();
            assertThat(rules.get(rules.size() - 1)).as("%s: nft's listing of %s", shape.name(), shape.nft()).isEqualTo(shape.rule());

            // 2. the catalogued JSON written by the client, in the same table
            NftTable desired = withLastRule(loaded, shape.chain(), shape.rule());
            client.replace(List.of(desired), List.of());
            NftTable listed = client.list(shape.family(), "qfence").orElseThrow();
            if (!shape.fixedPoint()) {
                assertThat(listed).as("%s is documented as not a fixed point, but nft now reproduces it", shape.name()).isNotEqualTo(desired);
                return;
            }
            assertThat(listed).as("%s: written as JSON and listed back", shape.name()).isEqualTo(desired);

            // 3. what was listed, written again, lists the same
            client.replace(List.of(listed), List.of());
            assertThat(client.list(shape.family(), "qfence")).as("%s: fixed point", shape.name()).contains(listed);
        }
    }

    private static NftChain chain(NftTable t, String name) {
        return t.chains().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no chain " + name + " in " + t.qualifiedName()));
    }

    private static NftTable withLastRule(NftTable t, String chainName, NftRule rule) {
        List<NftChain> chains = new ArrayList<>();
        for (NftChain c : t.chains()) {
            if (c.name().equals(chainName)) {
                List<NftRule> rules = new ArrayList<>(c.rules());
                rules.set(rules.size() - 1, rule);
                chains.add(new NftChain(c.name(), c.hook(), rules));
            } else {
                chains.add(c);
            }
        }
        return new NftTable(t.family(), t.name(), chains, t.sets(), t.counters());
    }
}
