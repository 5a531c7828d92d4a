package io.qfence.realize;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Firewall;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftTable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The rule-shape catalogue stays in step with the encoder, and covers everything the realizer emits. */
class RuleShapesTest {

    static final Path CATALOGUE = Path.of("src/test/resources/nft/rule-shapes.json");

    @Test
    void catalogueFileIsExactlyWhatTheEncoderProduces() throws IOException {
        String actual = RuleShapes.json();
        io.qfence.testing.Golden.assertMatches(CATALOGUE, actual);
    }

    @Test
    void everyStatementTheRealizerEmitsHasItsShapeInTheCatalogue() {
        Set<String> catalogued = RuleShapes.all().stream().flatMap(s -> NftJson.abstractStatements(s.expr()).stream())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> emitted = new TreeSet<>();
        for (Realization r : Scenarios.all()) {
            for (NftTable t : r.firewall().tables()) {
                for (NftChain c : t.chains()) {
                    for (NftRule rule : c.rules()) {
                        emitted.addAll(NftJson.abstractStatements(rule.expr()));
                    }
                }
            }
        }
        assertThat(catalogued).containsAll(emitted);
    }

    @Test
    void abstractionKeepsKeywordsAndDropsValues() {
        assertThat(NftJson.abstractStatements("[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":5432}}]"))
                .containsExactly("{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":0}}");
        assertThat(NftJson.abstractStatements("[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":\"icmp\"}}]"))
                .containsExactly("{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":\"icmp\"}}");
    }

    static Firewall smallFirewall() {
        return Realizer.realize(Fixtures.small(), "hv1", HostFacts.TYPICAL, Fixtures.TODAY).firewall();
    }
}
