package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.CounterSample;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.NftChain;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The normalizer against listings captured from nft 1.0.6 on the real kernel (see {@code src/test/resources/nft/}:
 * {@code nft -j list table} of a ruleset with every rule shape qfence uses, counters that had counted, and a table
 * with objects qfence never writes).
 */
class NormalizerTest {

    static String resource(String name) {
        try (var in = Objects.requireNonNull(NormalizerTest.class.getResourceAsStream(name), name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObservedTable inet() {
        return Normalizer.normalize(resource("/nft/listing-inet-qfence.json"), "inet", "qfence");
    }

    @Test
    void aCapturedListingNormalizesToTheGoldenTable() {
        ObservedTable t = inet();
        String rendered = Firewall.of(List.of(t.table())).attributes().entrySet().stream()
                .map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining("\n", "", "\n"));
        assertThat(rendered).isEqualTo(resource("/golden/nft/normalized-inet-qfence.txt"));
        assertThat(t.unmodelled()).isEmpty();
    }

    @Test
    void handlesAndTheRulesFamilyTableAndChainFieldsAreGone() {
        inet().table().chains().stream().flatMap(c -> c.rules().stream()).map(NftRule::expr).forEach(expr ->
                assertThat(expr).doesNotContain("\"handle\"").doesNotContain("\"family\":\"inet\"").doesNotContain("\"table\""));
    }

    @Test
    void anAnonymousCounterKeepsItsStatementWithZeroValues() {
        // the captured rule had counted 7 packets and 420 bytes
        assertThat(resource("/nft/listing-inet-qfence.json")).contains("\"packets\": 7, \"bytes\": 420");
        assertThat(rule("fwdchain", 20).expr()).isEqualTo("[{\"counter\":{\"packets\":0,\"bytes\":0}},{\"drop\":null}]");
    }

    @Test
    void aNamedCounterBecomesANameInTheTableAndItsValuesACounterSample() {
        ObservedTable t = inet();
        assertThat(t.table().counters()).containsExactly("drop_fwd");
        assertThat(t.counters()).containsExactly(new CounterSample("inet qfence", "drop_fwd", 3, 180));
        assertThat(rule("fwdchain", 21).expr()).isEqualTo("[{\"counter\":\"drop_fwd\"},{\"drop\":null}]");
    }

    @Test
    void namedSetsKeepTypeAndFlagsAndListTheirElementsSortedAsCanonicalJson() {
        assertThat(inet().table().sets()).containsExactly(
                new NftSet("allowed", List.of("ifname", "ether_addr", "ipv4_addr"), List.of(), List.of(
                        "{\"concat\":[\"qft-a\",\"52:54:00:00:00:01\",\"10.0.0.2\"]}",
                        "{\"concat\":[\"qft-b\",\"52:54:00:00:00:02\",\"10.0.0.3\"]}")),
                new NftSet("ports", List.of("inet_service"), List.of("interval"), List.of("22", "443", "{\"range\":[80,90]}")));
    }

    @Test
    void chainsKeepTheirListingOrderAndHooks() {
        assertThat(inet().table().chains()).extracting(NftChain::name).containsExactly("fwdchain", "sub", "out", "pre", "post");
        assertThat(inet().table().chains().get(3).hook()).contains(new NftChain.Hook("nat", "prerouting", -100, "accept"));
        assertThat(inet().table().chains().get(1).hook()).isEmpty();
    }

    @Test
    void theCommentIsTheRulesOwnAttributeNotPartOfItsExpression() {
        NftRule r = rule("fwdchain", 2);
        assertThat(r.comment()).isEqualTo("qf:intra:web");
        assertThat(r.expr()).doesNotContain("qf:intra:web");
        assertThat(r.effect()).isEqualTo(NftRule.Effect.UNKNOWN);
    }

    @Test
    void theBridgeTableNormalizesLikeTheInetTable() {
        ObservedTable t = Normalizer.normalize(resource("/nft/listing-bridge-qfence.json"), "bridge", "qfence");
        assertThat(t.table().qualifiedName()).isEqualTo("bridge qfence");
        assertThat(t.table().chains().get(0).rules()).extracting(NftRule::expr).containsExactly(
                "[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"qft-a\"}},"
                        + "{\"match\":{\"op\":\"!=\",\"left\":{\"payload\":{\"protocol\":\"ether\",\"field\":\"saddr\"}},\"right\":\"52:54:00:00:00:01\"}},{\"drop\":null}]",
                "[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"qft-a\"}},"
                        + "{\"match\":{\"op\":\"!=\",\"left\":{\"payload\":{\"protocol\":\"arp\",\"field\":\"saddr ip\"}},\"right\":\"10.0.0.2\"}},{\"drop\":null}]");
    }

    @Test
    void objectsAndAttributesTheModelCannotExpressAreReportedNotDropped() {
        ObservedTable t = Normalizer.normalize(resource("/nft/listing-inet-qfence-unmodelled.json"), "inet", "qfence");
        assertThat(t.unmodelled()).containsExactly(
                "map verdicts (qfence writes no map objects)",
                "set timed: attribute 'size' = 100",
                "set timed: attribute 'timeout' = 3600");
        assertThat(t.table().sets()).extracting(NftSet::name).containsExactly("timed");
    }

    @Test
    void aListingOfAnotherTableIsRefused() {
        assertThatThrownBy(() -> Normalizer.normalize(resource("/nft/listing-inet-qfence.json"), "bridge", "qfence"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("listing of bridge qfence contains");
    }

    @Test
    void theInventoryNamesEveryObjectAReplaceMustDelete() {
        assertThat(Normalizer.inventory(CanonicalJson.parse(resource("/nft/listing-inet-qfence-unmodelled.json")))).containsExactly(
                new TransactionBuffer.ObjectRef("counter", "hits"),
                new TransactionBuffer.ObjectRef("map", "verdicts"),
                new TransactionBuffer.ObjectRef("set", "timed"),
                new TransactionBuffer.ObjectRef("chain", "forward"));
    }

    private static NftRule rule(String chain, int index) {
        return inet().table().chains().stream().filter(c -> c.name().equals(chain)).findFirst().orElseThrow().rules().get(index);
    }
}
