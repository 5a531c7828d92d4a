package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.NftSet;
import io.qfence.model.host.NftTable;
import io.qfence.plan.render.NftText;
import io.qfence.testing.RequiresHost;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What plans show for firewall rules and sets is what nft itself lists: every catalogued shape is loaded with the nft
 * CLI in a private namespace, listed as text by the CLI, and compared with {@link NftText}'s rendering of the
 * catalogued (canonical) expr; the named sets of the realizer's preambles likewise, from what the client lists.
 */
@RequiresHost(tools = {"nft", "ip"})
class NftTextListingTest {

    private static NftTestNamespace ns;

    @BeforeAll
    static void createNamespace() {
        ns = NftTestNamespace.create();
    }

    @AfterAll
    static void deleteNamespace() {
        if (ns != null) {
            ns.close();
        }
    }

    static Stream<RuleShape> shapes() {
        return Stream.concat(RuleShapeRoundTripTest.adapterShapes(), RuleShapeRoundTripTest.realizerShapes());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void everyCataloguedRuleRendersExactlyAsNftListsIt(RuleShape shape) {
        ns.nft("flush", "ruleset");
        ns.nftScript(shape.script());

        List<String> lines = Arrays.stream(ns.nft("list", "chain", shape.family(), "qfence", shape.chain()).split("\n"))
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("table ") && !l.startsWith("chain ")
                        && !l.startsWith("type ") && !l.equals("}")).toList();

        assertThat(lines).as("nft's listing of %s", shape.nft()).isNotEmpty();
        assertThat(NftText.rule(shape.rule())).isEqualTo(lines.get(lines.size() - 1));
    }

    @Test
    void namedSetsRenderAsNftListsThem() {
        List<RuleShape> oneOfEachFamily = shapes().filter(s -> s.name().matches("\\d+ .*"))
                .collect(java.util.stream.Collectors.toMap(RuleShape::family, s -> s, (a, b) -> a)).values().stream().toList();
        assertThat(oneOfEachFamily).hasSize(2);
        int sets = 0;
        try (NftClient client = NftClient.open(ns.ns)) {
            for (RuleShape shape : oneOfEachFamily) {
                ns.nft("flush", "ruleset");
                ns.nftScript(shape.script());
                NftTable table = client.list(shape.family(), "qfence").orElseThrow();
                for (NftSet set : table.sets()) {
                    String listing = ns.nft("list", "set", shape.family(), "qfence", set.name());
                    List<String> lines = Arrays.stream(listing.split("\n")).map(String::strip).toList();
                    String elements = lines.stream().filter(l -> l.startsWith("elements = { ")).findFirst().orElseThrow()
                            .replaceFirst("^elements = \\{ ", "").replaceFirst(" }$", "");

                    for (String part : NftText.setDeclaration(set).split("; ")) {
                        assertThat(lines).as(listing).contains(part);
                    }
                    assertThat(set.elements().stream().map(e -> NftText.setElement(set, e)))
                            .as(listing).containsExactlyInAnyOrder(elements.split(", "));
                    sets++;
                }
            }
        }
        assertThat(sets).isEqualTo(6);
    }
}
