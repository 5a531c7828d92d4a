package io.qfence.verify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The order of probing. A probe guest's listeners serve one peer at a time (a UDP listener is busy with one sender,
 * a TCP listener's backlog is short), so probes toward one VM are spread over rounds: in each round, every VM is the
 * target of at most one source, and each source probes at most one VM (all of that VM's cells at once). Probes toward
 * the host and the outside world, whose listeners serve any number of peers, are spread over the same rounds, at
 * most {@link #FREE_PER_ROUND} per source and round: a TCG guest running dozens of probes at once is too slow to
 * answer within the probes' 1-second timeouts.
 */
final class Rounds {

    static final int FREE_PER_ROUND = 8;

    private Rounds() {}

    static List<List<ProbeCell>> of(List<ProbeCell> cells) {
        List<List<ProbeCell>> rounds = new ArrayList<>();
        // (source, owner) -> cells, in the cells' order
        Map<String, Map<String, List<ProbeCell>>> pending = new LinkedHashMap<>();
        for (ProbeCell c : cells) {
            Optional<String> owner = c.owner();
            if (owner.isPresent()) {
                pending.computeIfAbsent(c.source(), s -> new LinkedHashMap<>()).computeIfAbsent(owner.get(), o -> new ArrayList<>()).add(c);
            }
        }
        List<String> sources = new ArrayList<>(pending.keySet());
        int turn = 0;
        while (pending.values().stream().anyMatch(m -> !m.isEmpty())) {
            Set<String> busy = new TreeSet<>();
            List<ProbeCell> round = new ArrayList<>();
            // rotate who picks first, so that no source always gets the leftovers
            for (int i = 0; i < sources.size(); i++) {
                String source = sources.get((i + turn) % sources.size());
                Map<String, List<ProbeCell>> mine = pending.get(source);
                String pick = null;
                for (String owner : mine.keySet()) {
                    if (!busy.contains(owner)) {
                        pick = owner;
                        break;
                    }
                }
                if (pick != null) {
                    busy.add(pick);
                    round.addAll(mine.remove(pick));
                }
            }
            rounds.add(round);
            turn++;
        }
        Map<String, List<ProbeCell>> free = new LinkedHashMap<>();
        cells.stream().filter(c -> c.owner().isEmpty()).forEach(c -> free.computeIfAbsent(c.source(), s -> new ArrayList<>()).add(c));
        for (List<ProbeCell> mine : free.values()) {
            for (int chunk = 0; chunk * FREE_PER_ROUND < mine.size(); chunk++) {
                if (rounds.size() <= chunk) {
                    rounds.add(new ArrayList<>());
                }
                rounds.get(chunk).addAll(mine.subList(chunk * FREE_PER_ROUND, Math.min(mine.size(), (chunk + 1) * FREE_PER_ROUND)));
            }
        }
        return rounds;
    }
}
