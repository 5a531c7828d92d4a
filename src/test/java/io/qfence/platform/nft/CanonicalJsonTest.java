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
    void anonymousSetElementsAreSortedByTheirCanonicalTextAndNothingElseIs() {
        assertThat(canonical("{\"set\":[443,80,{\"range\":[1000,2000]},\"b\",\"a\"]}"))
                .isEqualTo("{\"set\":[\"a\",\"b\",443,80,{\"range\":[1000,2000]}]}");
        // ct state's flag list and a concatenation's parts are ordered lists, not sets
        assertThat(canonical("{\"right\":[\"related\",\"established\"]}")).isEqualTo("{\"right\":[\"related\",\"established\"]}");
        assertThat(canonical("{\"concat\":[\"qft-b\",\"10.0.0.1\"]}")).isEqualTo("{\"concat\":[\"qft-b\",\"10.0.0.1\"]}");
        // the set statement (an object) is not an anonymous set
        assertThat(canonical("{\"set\":{\"op\":\"add\",\"elem\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"set\":\"@seen\"}}"))
                .isEqualTo("{\"set\":{\"op\":\"add\",\"elem\":{\"payload\":{\"protocol\":\"ip\",\"field\":\"saddr\"}},\"set\":\"@seen\"}}");
    }

    @Test
    void notJsonIsRefusedWithTheParsersReason() {
        assertThatThrownBy(() -> CanonicalJson.parse("[{\"accept\":null}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not JSON: ");
    }

    @Property
    void canonicalizationIsIdempotentAndOrderInsensitiveForSets(@ForAll @Size(max = 8) List<@IntRange(min = 0, max = 65535) Integer> ports) {
        StringBuilder forward = new StringBuilder();
        StringBuilder backward = new StringBuilder();
        for (int i = 0; i < ports.size(); i++) {
            forward.append(i == 0 ? "" : ",").append(ports.get(i));
            backward.append(i == 0 ? "" : ",").append(ports.get(ports.size() - 1 - i));
        }
        String a = canonical("{\"set\":[" + forward + "]}");
        assertThat(canonical(a)).isEqualTo(a);
        assertThat(canonical("{\"set\":[" + backward + "]}")).isEqualTo(a);
    }
}
