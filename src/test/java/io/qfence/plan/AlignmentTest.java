package io.qfence.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class AlignmentTest {

    @Provide
    Arbitrary<List<String>> sequences() {
        return Arbitraries.of("a", "b", "c", "d", "e", "f").list().ofMaxSize(12);
    }

    static void assertValid(List<String> a, List<String> b, int[] match) {
        int last = -1;
        for (int i = 0; i < a.size(); i++) {
            if (match[i] >= 0) {
                assertThat(match[i]).isGreaterThan(last);
                assertThat(b.get(match[i])).isEqualTo(a.get(i));
                last = match[i];
            }
        }
    }

    static int matched(int[] match) {
        return (int) java.util.Arrays.stream(match).filter(m -> m >= 0).count();
    }

    @Property(tries = 300)
    void matchesAreEqualElementsInIncreasingOrder(@ForAll("sequences") List<String> a, @ForAll("sequences") List<String> b) {
        assertValid(a, b, Alignment.match(a, b));
    }

    @Property(tries = 100)
    void aSequenceMatchesItselfEntirely(@ForAll("sequences") List<String> a) {
        assertThat(matched(Alignment.match(a, a))).isEqualTo(a.size());
    }

    @Test
    void oneRuleInsertedIntoThousandsIsTheOnlyUnmatchedOne() {
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            before.add("rule " + i);
        }
        List<String> after = new ArrayList<>(before);
        after.add(10_000, "new rule");
        after.remove(15_000);

        int[] match = Alignment.match(before, after);

        assertValid(before, after, match);
        assertThat(matched(match)).isEqualTo(19_999);
    }

    @Test
    void largeRulesetsThatDifferEverywhereStillAlignTheirUniqueRules() {
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            before.add("rule " + i);
            after.add(i % 2 == 0 ? "rule " + i : "other " + i);
        }

        int[] match = Alignment.match(before, after);

        assertValid(before, after, match);
        assertThat(matched(match)).isEqualTo(2_500);
    }
}
