package io.qfence.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.desired.Names;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The IFNAMSIZ shortening: at most 15 bytes, deterministic, and injective over desired-state names. */
class InterfaceNamesPropertyTest {

    @Property
    void everyDerivedNameFitsInIfnamsiz(@ForAll("dnsLabels") String name) {
        assertThat(InterfaceNames.bridge(name).getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(15);
        assertThat(InterfaceNames.tap(name).getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(15);
    }

    @Property
    void derivationIsDeterministic(@ForAll("dnsLabels") String name) {
        assertThat(InterfaceNames.tap(new String(name.toCharArray()))).isEqualTo(InterfaceNames.tap(name));
        assertThat(InterfaceNames.bridge(new String(name.toCharArray()))).isEqualTo(InterfaceNames.bridge(name));
    }

    @Property
    void namesThatFitAreKeptAsTheyAre(@ForAll("shortDnsLabels") String name) {
        assertThat(InterfaceNames.tap(name)).isEqualTo("qft-" + name);
        assertThat(InterfaceNames.bridge(name)).isEqualTo("qfb-" + name);
    }

    @Property
    void aShortenedNameNeverEqualsAnUnshortenedOne(@ForAll("longDnsLabels") String longName, @ForAll("shortDnsLabels") String shortName) {
        String shortened = InterfaceNames.tap(longName);
        assertThat(shortened).hasSize(15).contains("_").startsWith("qft-" + longName.substring(0, 4));
        assertThat(shortened).isNotEqualTo(InterfaceNames.tap(shortName));
    }

    /**
     * Injective in practice: two long names collide only if their 4-character stems and 30 hash bits coincide
     * (about one pair in 10^9 per stem). Such a pair exists (the corpus case sem-interface-name-collision uses one)
     * and the validator reports it; random names never hit it.
     */
    @Property(tries = 20)
    void derivationIsInjectiveOverGeneratedNames(@ForAll("dnsLabelSets") Set<String> names) {
        Map<String, String> seen = new HashMap<>();
        for (String name : names) {
            String previous = seen.put(InterfaceNames.tap(name), name);
            assertThat(previous).as("%s and %s share an interface name", previous, name).isNull();
        }
    }

    @Property
    void everyPrefixIsQfencesOwn(@ForAll("dnsLabels") String name) {
        assertThat(List.of(InterfaceNames.tap(name), InterfaceNames.bridge(name))).allMatch(n -> n.startsWith(InterfaceNames.OWNED_PREFIX));
    }

    @Example
    void aLongNameIsShortenedWithItsStemAndAHash() {
        assertThat(InterfaceNames.tap("web-frontend-01")).isEqualTo(InterfaceNames.tap("web-frontend-01")).hasSize(15)
                .startsWith("qft-web-_");
        assertThat(InterfaceNames.tap("web-01")).isEqualTo("qft-web-01");
        assertThat(InterfaceNames.tap("abcdefghijk")).isEqualTo("qft-abcdefghijk");
        assertThat(InterfaceNames.tap("abcdefghijkl")).hasSize(15).startsWith("qft-abcd_");
    }

    @Provide
    Arbitrary<String> dnsLabels() {
        return label(1, 63);
    }

    @Provide
    Arbitrary<String> shortDnsLabels() {
        return label(1, 11);
    }

    @Provide
    Arbitrary<String> longDnsLabels() {
        return label(12, 63);
    }

    @Provide
    Arbitrary<Set<String>> dnsLabelSets() {
        return label(12, 40).set().ofMinSize(300).ofMaxSize(1000);
    }

    /** DNS labels as the desired state allows them: [a-z0-9], '-' inside, the given length. */
    private static Arbitrary<String> label(int min, int max) {
        Arbitrary<Character> edge = Arbitraries.chars().range('a', 'z').with('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
        Arbitrary<Character> inner = Arbitraries.chars().range('a', 'z').with('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-');
        return Arbitraries.integers().between(min, max).flatMap(len -> {
            if (len == 1) {
                return edge.map(String::valueOf);
            }
            return net.jqwik.api.Combinators.combine(edge, inner.list().ofSize(len - 2), edge)
                    .as((a, middle, z) -> {
                        StringBuilder sb = new StringBuilder().append(a);
                        middle.forEach(sb::append);
                        return sb.append(z).toString();
                    });
        }).filter(Names::isDnsLabel);
    }
}
