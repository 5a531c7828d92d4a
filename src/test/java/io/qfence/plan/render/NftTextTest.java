package io.qfence.plan.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.model.host.NftRule;
import io.qfence.model.host.NftSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * nft syntax from canonical JSON, checked against both rule-shape catalogues: rendering a shape's {@code expr} gives
 * its {@code nft} text. Where a catalogue writes a rule the way one types it rather than the way nft lists it, the
 * expected text here is nft's listing (each case says why); {@code NftTextListingTest} checks every shape against the
 * real nft's listing.
 */
class NftTextTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Catalogue text that nft 1.0.6 lists differently, with what it lists instead. */
    static final Map<String, String> LISTED_DIFFERENTLY = Map.ofEntries(
            // anonymous set elements list by value, whatever order they were written in
            Map.entry("iifname-anonymous-set", "iifname { \"qfb-a\", \"qfb-b\" } accept"),
            Map.entry("ip6-daddr-set", "ip6 daddr { fd00:1::/64, fd00:2::/64 } drop"),
            Map.entry("udp-dport-set-with-ranges", "udp dport { 53, 1000-2000, 5353 } accept"),
            Map.entry("icmpv6-type-set", "icmpv6 type { echo-request, nd-neighbor-solicit, nd-neighbor-advert } accept"),
            Map.entry("iifname-set-in-nft-byte-order", "iifname { \"ba\", \"ab\", \"qfb-a\", \"qfb-db\", \"qfb-web\" } accept"),
            Map.entry("ip-saddr-set-numeric-order", "ip saddr { 9.0.0.1, 10.1.0.9, 10.1.0.10, 192.168.1.1 } accept"),
            Map.entry("tcp-dport-set-numeric-order", "tcp dport { 22, 80, 443, 8080 } accept"),
            Map.entry("iifname vmap { \"qfb-web\" : jump from_web, \"qfb-db\" : jump from_db }",
                    "iifname vmap { \"qfb-db\" : jump from_db, \"qfb-web\" : jump from_web }"),
            Map.entry("meta skuid vmap { 200002 : jump user_tools_02, 200001 : jump user_tools_01 }",
                    "meta skuid vmap { 200001 : jump user_tools_01, 200002 : jump user_tools_02 }"),
            // a one-element anonymous set lists as its element
            Map.entry("iifname-one-element-set", "iifname \"qfb-a\" accept"),
            // an interval set merges adjacent elements; merged prefixes stay a (one-element) set
            Map.entry("ip-saddr-set-with-prefix", "ip saddr { 10.1.0.9-10.1.0.10, 192.168.0.0/16 } accept"),
            Map.entry("ip-saddr-adjacent-prefixes", "ip saddr { 10.1.0.0/24 } accept"),
            // a /32 lists as the address; host bits of a prefix are cleared
            Map.entry("ip-saddr-slash32", "ip saddr 10.1.0.7 accept"),
            Map.entry("ip-daddr-host-bits", "ip daddr 10.1.0.0/24 accept"),
            // implied dependencies: dropped before tcp dport, listed before reject with tcp reset
            Map.entry("l4proto-tcp-dport", "tcp dport 22 accept"),
            Map.entry("reject-tcp-reset", "meta l4proto tcp reject with tcp reset"),
            // the "type" keyword of the input syntax is not listed
            Map.entry("reject-admin-prohibited", "reject with icmpx admin-prohibited"),
            // an anonymous counter lists its values (normalized to zero in the catalogue)
            Map.entry("counter-anonymous", "counter packets 0 bytes 0 drop"));

    record Shape(String name, String nft, String expr, String comment) {
        @Override
        public String toString() {
            return name;
        }

        String listed() {
            return LISTED_DIFFERENTLY.getOrDefault(name, nft);
        }
    }

    static Stream<Shape> shapes() throws IOException {
        List<Shape> shapes = new ArrayList<>();
        for (JsonNode s : JSON.readTree(Files.readString(Path.of("src/test/resources/nft/adapter-rule-shapes.json")))) {
            shapes.add(new Shape(s.path("name").asText(), s.path("nft").asText(), JSON.writeValueAsString(s.path("expr")), s.path("comment").asText("")));
        }
        for (JsonNode s : JSON.readTree(Files.readString(Path.of("src/test/resources/nft/rule-shapes.json"))).path("shapes")) {
            shapes.add(new Shape(s.path("nft").asText(), s.path("nft").asText(), JSON.writeValueAsString(s.path("expr")), ""));
        }
        return shapes.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void everyCataloguedShapeRendersAsNftListsIt(Shape shape) {
        assertThat(NftText.rule(new NftRule(shape.expr(), shape.comment(), NftRule.Effect.UNKNOWN))).isEqualTo(shape.listed());
    }

    @Test
    void everyDocumentedDifferenceNamesAShapeOfACatalogue() throws IOException {
        List<String> names = shapes().map(Shape::name).toList();
        assertThat(names).containsAll(LISTED_DIFFERENTLY.keySet());
        assertThat(shapes().filter(s -> LISTED_DIFFERENTLY.containsKey(s.name()))).allMatch(s -> !s.listed().equals(s.nft()));
    }

    @Test
    void aRuleWithItsCommentReadsLikeNft() {
        NftRule rule = new NftRule("[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"oifname\"}},\"right\":\"qfb-db\"}},"
                + "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":\"10.20.0.10\"}},"
                + "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":22}},{\"accept\":null}]",
                "qf:exception:db:2", NftRule.Effect.GRANT);

        assertThat(NftText.rule(rule)).isEqualTo("oifname \"qfb-db\" ip saddr 10.20.0.10 tcp dport 22 accept comment \"qf:exception:db:2\"");
    }

    @Test
    void verdictMapsByNameGotoAndIpv6DnatRender() {
        assertThat(NftText.statements("[{\"vmap\":{\"key\":{\"meta\":{\"key\":\"iifname\"}},\"data\":\"@dispatch\"}}]"))
                .isEqualTo("iifname vmap @dispatch");
        assertThat(NftText.statements("[{\"goto\":{\"target\":\"sub\"}}]")).isEqualTo("goto sub");
        assertThat(NftText.statements("[{\"dnat\":{\"family\":\"ip6\",\"addr\":\"fd00::2\",\"port\":22}}]")).isEqualTo("dnat ip6 to [fd00::2]:22");
        assertThat(NftText.statements("[{\"match\":{\"op\":\"==\",\"left\":{\"fib\":{\"result\":\"oif\",\"flags\":[\"saddr\",\"iif\"]}},\"right\":\"eth0\"}}]"))
                .isEqualTo("fib saddr . iif oif eth0");
    }

    @Test
    void setsShowTheirTypeFlagsAndElementsInNftSyntax() {
        NftSet taps = new NftSet("tap_ipv4", List.of("ifname", "ether_addr", "ipv4_addr"), List.of(),
                List.of("{\"concat\":[\"qft-web-01\",\"0e:00:00:00:00:01\",\"10.10.0.11\"]}"));
        NftSet nets = new NftSet("qfence_nets4", List.of("ipv4_addr"), List.of("interval"),
                List.of("{\"prefix\":{\"addr\":\"10.10.0.0\",\"len\":24}}", "{\"range\":[\"10.1.0.9\",\"10.1.0.10\"]}", "\"10.9.9.9\""));
        NftSet uids = new NftSet("bridged_uids", List.of("uid"), List.of(), List.of("200001"));

        assertThat(NftText.setDeclaration(taps)).isEqualTo("type ifname . ether_addr . ipv4_addr");
        assertThat(NftText.setDeclaration(nets)).isEqualTo("type ipv4_addr; flags interval");
        assertThat(NftText.setElement(taps, taps.elements().get(0))).isEqualTo("\"qft-web-01\" . 0e:00:00:00:00:01 . 10.10.0.11");
        assertThat(nets.elements()).map(e -> NftText.setElement(nets, e)).containsExactly("10.9.9.9", "10.10.0.0/24", "10.1.0.9-10.1.0.10");
        assertThat(NftText.setElement(uids, "200001")).isEqualTo("200001");
    }

    @Test
    void unknownShapesAreShownWholeAsTheirCompactJson() {
        String log = "[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"qfb-web\"}},{\"log\":{\"prefix\":\"x\"}},{\"drop\":null}]";
        String ctDirection = "[{\"match\":{\"op\":\"==\",\"left\":{\"ct\":{\"key\":\"saddr\",\"dir\":\"original\"}},\"right\":\"10.0.0.1\"}},{\"accept\":null}]";
        String dnatWithFlags = "[{\"dnat\":{\"family\":\"ip\",\"addr\":\"10.0.0.1\",\"flags\":[\"persistent\"]}}]";
        String bitwise = "[{\"match\":{\"op\":\"&\",\"left\":{\"meta\":{\"key\":\"mark\"}},\"right\":1}}]";

        for (String expr : List.of(log, ctDirection, dnatWithFlags, bitwise, "[]", "[1]", "[{\"accept\":1}]")) {
            assertThat(NftText.statements(expr)).as(expr).isEqualTo(expr);
        }
        assertThat(NftText.rule(new NftRule(log, "qf:x", NftRule.Effect.UNKNOWN))).isEqualTo(log + " comment \"qf:x\"");
        NftSet set = new NftSet("s", List.of("ipv4_addr"), List.of(), List.of("{\"elem\":{\"val\":\"10.0.0.1\",\"timeout\":30}}"));
        assertThat(NftText.setElement(set, set.elements().get(0))).isEqualTo("{\"elem\":{\"val\":\"10.0.0.1\",\"timeout\":30}}");
    }

    @Test
    void stringsFromTheHostCannotForgeLinesOrSyntax() {
        String oddName = "[{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"a\\\" accept\\nb\"}},{\"drop\":null}]";
        String oddValue = "[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"right\":\"1.2.3.4 accept\"}},{\"drop\":null}]";

        assertThat(NftText.statements(oddName)).isEqualTo("iifname \"a\\\" accept\\u000ab\" drop");
        assertThat(NftText.statements(oddValue)).isEqualTo("ip saddr \"1.2.3.4 accept\" drop");
        assertThat(NftText.rule(new NftRule("[{\"accept\":null}]", "x\"\n+ forged\u202e", NftRule.Effect.UNKNOWN)))
                .isEqualTo("accept comment \"x\\\"\\u000a+ forged\\u202e\"");
        assertThat(NftText.statements("[not json\n]")).isEqualTo("[not json\\u000a]");
    }

    @Property(tries = 300)
    void renderingNeverThrowsAndNeverPrintsALineBreak(@ForAll String junk) {
        String expr = "[" + junk + "]";
        assertThatCode(() -> NftText.statements(expr)).doesNotThrowAnyException();
        assertThat(NftText.statements(expr)).doesNotContain("\n", "\r");
        NftSet set = new NftSet("s", List.of("ifname"), List.of(), List.of(junk));
        assertThat(NftText.setElement(set, junk)).doesNotContain("\n", "\r");
    }
}
