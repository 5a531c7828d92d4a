package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import io.qfence.testing.RequiresHost;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The promise of DESIGN.md §7, shape by shape, on the real kernel: the canonical {@code expr} of every catalogued rule
 * shape is exactly what nft lists for the shape's nft syntax (normalized), and it is a fixed point: written by the
 * client, listed and normalized, it comes back unchanged, and writing that again changes nothing.
 */
@RequiresHost(tools = {"nft", "ip"})
class RuleShapeRoundTripTest {

    static Stream<RuleShape> adapterShapes() {
        return RuleShape.load("/nft/adapter-rule-shapes.json").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapterShapes")
    void theCanonicalFormIsWhatNftListsAndAFixedPoint(RuleShape shape) {
        assertRoundTrip(shape);
    }

    static void assertRoundTrip(RuleShape shape) {
        try (TestNamespace ns = TestNamespace.create(); NftClient client = NftClient.open(ns.ns)) {
            // 1. nft syntax through the CLI, listed by the client: nft's own listing form, normalized
            ns.nftScript(shape.script());
            assertThat(shapeRules(client, shape)).as("%s: nft's listing of %s", shape.name(), shape.nft())
                    .containsExactly(shape.rule());

            // 2. the canonical JSON through the client, over the CLI's table
            client.replace(List.of(shape.table()), List.of());
            NftTable listed = client.list(shape.family(), "qfence").orElseThrow();
            if (!shape.fixedPoint()) {
                assertThat(listed).as("%s is documented as not a fixed point; nft now reproduces it", shape.name()).isNotEqualTo(shape.table());
                return;
            }
            assertThat(listed).as("%s: written as canonical JSON and listed back", shape.name()).isEqualTo(shape.table());

            // 3. what was listed, written again, lists the same
            client.replace(List.of(listed), List.of());
            assertThat(client.list(shape.family(), "qfence")).as("%s: fixed point", shape.name()).contains(listed);
        }
    }

    private static List<NftRule> shapeRules(NftClient client, RuleShape shape) {
        NftTable t = client.list(shape.family(), "qfence").orElseThrow();
        return t.chains().stream().filter(c -> c.name().equals(RuleShape.CHAIN)).findFirst().map(NftChain::rules).orElseThrow();
    }
}
