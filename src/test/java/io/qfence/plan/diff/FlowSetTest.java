package io.qfence.plan.diff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class FlowSetTest {

    @Test
    void entriesOfOneSourceDestinationAndProtocolMergeTheirPorts() {
        FlowSet s = FlowSet.of(new FlowEntry("web-01", "db-01", "tcp", "80"), new FlowEntry("web-01", "db-01", "tcp", "81-90,443"),
                new FlowEntry("web-01", "db-01", "icmp", ""));

        assertThat(s.entries()).containsExactly(new FlowEntry("web-01", "db-01", "icmp", ""), new FlowEntry("web-01", "db-01", "tcp", "80-90,443"));
    }

    @Test
    void aDifferenceNamesExactlyThePortsGainedOrLost() {
        FlowSet before = FlowSet.of(new FlowEntry("web-01", "db-01", "tcp", "8000-8080"));
        FlowSet after = FlowSet.of(new FlowEntry("web-01", "db-01", "tcp", "8000-9000"));

        assertThat(after.minus(before).entries()).containsExactly(new FlowEntry("web-01", "db-01", "tcp", "8081-9000"));
        assertThat(before.minus(after).isEmpty()).isTrue();
        assertThat(FlowSet.of(new FlowEntry("a", "b", "tcp", "*")).minus(FlowSet.of(new FlowEntry("a", "b", "tcp", "22"))).entries())
                .containsExactly(new FlowEntry("a", "b", "tcp", "1-21,23-65535"));
    }

    @Test
    void invalidFlowsAreRefused() {
        assertThatThrownBy(() -> new FlowEntry("a", "b", "tcp", "0")).hasMessage("invalid ports '0': ports are 1..65535, first <= last");
        assertThatThrownBy(() -> new FlowEntry("a", "b", "tcp", "http"))
                .hasMessage("invalid ports 'http': expected *, PORT, FIRST-LAST or a comma-separated list");
        assertThatThrownBy(() -> new FlowEntry(" ", "b", "tcp", "")).hasMessage("a flow needs a source");
    }

    @Provide
    Arbitrary<FlowSet> flowSets() {
        Arbitrary<String> ports = Arbitraries.oneOf(Arbitraries.just("*"), Arbitraries.just(""),
                Arbitraries.integers().between(1, 40).tuple2().map(t -> Math.min(t.get1(), t.get2()) + "-" + Math.max(t.get1(), t.get2())),
                Arbitraries.integers().between(1, 40).map(String::valueOf));
        Arbitrary<FlowEntry> entry = Combinators.combine(Arbitraries.of("a", "b", "c"), Arbitraries.of("a", "b", "host"),
                Arbitraries.of("tcp", "udp"), ports).as(FlowEntry::new);
        return entry.list().ofMaxSize(8).map(FlowSet::of);
    }

    @Property(tries = 300)
    void gainedFlowsAreExactlyWhatTheNewSetAllowsAndTheOldDoesNot(@ForAll("flowSets") FlowSet before, @ForAll("flowSets") FlowSet after) {
        FlowSet gained = after.minus(before);
        for (String src : List.of("a", "b", "c")) {
            for (String dst : List.of("a", "b", "host")) {
                for (String proto : List.of("tcp", "udp")) {
                    for (int port : List.of(1, 2, 7, 20, 39, 40, 41, 65535)) {
                        assertThat(gained.allows(src, dst, proto, port))
                                .as("%s -> %s %s/%d", src, dst, proto, port)
                                .isEqualTo(after.allows(src, dst, proto, port) && !before.allows(src, dst, proto, port));
                    }
                }
            }
        }
    }

    @Property(tries = 100)
    void normalizedEntriesDescribeTheSameSet(@ForAll("flowSets") FlowSet s) {
        assertThat(FlowSet.of(s.entries())).isEqualTo(s);
        assertThat(s.minus(s).isEmpty()).isTrue();
    }
}
