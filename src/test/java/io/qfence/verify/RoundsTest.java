package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoundsTest {

    static final List<List<ProbeCell>> ROUNDS = Rounds.of(Bundled.PLAN.cells());

    @Test
    void everyCellIsProbedExactlyOnce() {
        List<ProbeCell> all = ROUNDS.stream().flatMap(List::stream).toList();
        assertThat(all).containsExactlyInAnyOrderElementsOf(Bundled.PLAN.cells());
    }

    @Test
    void inEachRoundAVmServesOnePeerAndEachSourceProbesOneVm() {
        for (List<ProbeCell> round : ROUNDS) {
            Map<String, String> peerOf = new HashMap<>();
            Map<String, String> vmOf = new HashMap<>();
            for (ProbeCell c : round) {
                if (c.owner().isEmpty()) {
                    continue;
                }
                String owner = c.owner().get();
                assertThat(peerOf.putIfAbsent(owner, c.source())).as(owner + " in " + round).isIn(null, c.source());
                assertThat(vmOf.putIfAbsent(c.source(), owner)).as(c.source() + " in " + round).isIn(null, owner);
            }
        }
    }

    @Test
    void cellsTowardTheHostAndTheOutsideAreSpreadAtMostEightPerSourceAndRound() {
        for (List<ProbeCell> round : ROUNDS) {
            Map<String, Integer> free = new HashMap<>();
            round.stream().filter(c -> c.owner().isEmpty()).forEach(c -> free.merge(c.source(), 1, Integer::sum));
            assertThat(free.values()).allMatch(n -> n <= Rounds.FREE_PER_ROUND);
        }
    }

    @Test
    void theScheduleIsAboutAsShortAsTheBusiestVmAllows() {
        Map<String, Set<String>> peers = new HashMap<>();
        Bundled.PLAN.cells().stream().filter(c -> c.owner().isPresent())
                .forEach(c -> peers.computeIfAbsent(c.owner().get(), o -> new HashSet<>()).add(c.source()));
        int busiest = peers.values().stream().mapToInt(Set::size).max().orElseThrow();
        assertThat(ROUNDS.size()).isBetween(busiest, busiest + 3);
    }
}
