package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import java.util.List;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {

    private static String canonical(String json) {
        return CanonicalJson.canonicalText(CanonicalJson.parse(json));
    }

    @Test
    void keysKeepNftsOrderAndWhitespaceGoes() {
        assertThat(canonical("{ \"match\": { \"op\": \"==\", \"left\": { \"meta\": { \"key\": \"iifname\" } }, \"right\": \"qfb-a\" } }"))
                .isEqualTo("{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"iifname\"}},\"right\":\"qfb-a\"}}");
        // not re-sorted: a realizer that emits another key order is visibly not canonical
        assertThat(canonical("{\"match\":{\"left\":{\"meta\":{\"key\":\"iifname\"}},\"op\":\"==\",\"right\":\"qfb-a\"}}"))
                .startsWith("{\"match\":{\"left\"");
    }

    @Test
    void anAnonymousCounterIsZeroedWhereverItAppearsAndANamedOneIsKept() {
        assertThat(canonical("[{\"counter\":{\"packets\":12,\"bytes\":3400}},{\"counter\":\"drop_fwd\"},{\"drop\":null}]"))
                .isEqualTo("[{\"counter\":{\"packets\":0,\"bytes\":0}},{\"counter\":\"drop_fwd\"},{\"drop\":null}]");
        assertThat(canonical("{\"elem\":{\"val\":\"10.0.0.1\",\"counter\":{\"packets\":1,\"bytes\":60}}}"))
                .isEqualTo("{\"elem\":{\"val\":\"10.0.0.1\",\"counter\":{\"packets\":0,\"bytes\":0}}}");
    }

    @Test
    void aProtocolNumberListedOnAHostWithoutEtcProtocolsIsTheSameRuleAsItsName() {
        // the production-kernel lab's Debian (no netbase, so no /etc/protocols) lists "meta l4proto 1"; this machine
        // lists "meta l4proto icmp" for the same rule
        assertThat(canonical("{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":1}}"))
                .isEqualTo("{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":\"icmp\"}}");
        assertThat(canonical("{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":{\"set\":[1,58]}}}"))
                .isEqualTo("{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":{\"set\":[\"icmp\",\"ipv6-icmp\"]}}}");
        assertThat(canonical("{\"match\":{\"op\":\"!=\",\"left\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"protocol\"}},\"right\":6}}"))
                .endsWith("\"right\":\"tcp\"}}");
        assertThat(canonical("{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"ip6\",\"field\":\"nexthdr\"}},\"right\":17}}"))
                .endsWith("\"right\":\"udp\"}}");
        // only protocol matches, and only the protocols qfence writes: a port 1 or protocol 47 stays a number
        assertThat(canonical("{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":1}}"))
                .endsWith("\"right\":1}}");
        assertThat(canonical("{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":47}}"))
                .endsWith("\"right\":47}}");
    }

    @Test
    void anonymousSetsAndAllOtherArraysKeepNftsOrder() {
        // nft lists anonymous set elements by value; that order is already canonical
        assertThat(canonical("{\"set\":[22,80,443,8080]}")).isEqualTo("{\"set\":[22,80,443,8080]}");
        assertThat(canonical("{\"right\":[\"established\",\"related\"]}")).isEqualTo("{\"right\":[\"established\",\"related\"]}");
        assertThat(canonical("{\"concat\":[\"qft-b\",\"10.0.0.1\"]}")).isEqualTo("{\"concat\":[\"qft-b\",\"10.0.0.1\"]}");
    }

    @Test
    void notJsonIsRefusedWithTheParsersReason() {
        assertThatThrownBy(() -> CanonicalJson.parse("[{\"accept\":null}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not JSON: ");
    }

    @Property
    void canonicalizationIsIdempotent(@ForAll @Size(max = 8) List<@IntRange(min = 0, max = 65535) Integer> packets) {
        StringBuilder rule = new StringBuilder("[");
        for (Integer p : packets) {
            rule.append("{\"counter\":{\"packets\":").append(p).append(",\"bytes\":").append(p * 60L).append("}},");
        }
        rule.append("{\"drop\":null}]");
        String once = canonical(rule.toString());
        assertThat(canonical(once)).isEqualTo(once);
        assertThat(once).doesNotContainPattern("\"packets\":[1-9]");
    }
}
