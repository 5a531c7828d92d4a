package io.qfence.daemon;

import io.qfence.daemon.control.DaemonStatus;
import io.qfence.daemon.journal.CycleRecord;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.Journal;
import io.qfence.daemon.metrics.QfenceMetrics;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a cycle's records: one journal line each, counted in {@code qfence_cycles_total}, the last one remembered
 * for {@code status.json}. A journal that cannot be written is logged, never fatal to the cycle.
 */
final class CycleJournal {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    private static final int MAX_ERRORS_RECORDED = 20;

    private final Journal journal;
    private final QfenceMetrics metrics;
    private final LongSupplier nanoClock;
    private Optional<DaemonStatus.LastCycle> lastCycle = Optional.empty();

    /** @param nanoClock monotonic nanoseconds, which time each cycle: the composition root's, as the cycle's start */
    CycleJournal(Journal journal, QfenceMetrics metrics, LongSupplier nanoClock) {
        this.journal = Objects.requireNonNull(journal, "journal");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** Records one outcome of the cycle that started at {@code now} ({@code startNanos} on the monotonic clock). */
    CycleRecord record(Instant now, long startNanos, String trigger, Outcome outcome, Optional<String> revision,
                       CycleOutcome cycle, List<String> notes) {
        long millis = Math.max(0, (nanoClock.getAsLong() - startNanos) / 1_000_000);
        CycleRecord record = new CycleRecord(now, millis, trigger, outcome, revision, cycle.planDigest(),
                cycle.summary(), cycle.actions(), cycle.drift(), cap(cycle.errors()), notes);
        try {
            journal.append(record);
        } catch (IOException e) {
            LOG.atError().addKeyValue("journal", journal.file().toString()).setCause(e)
                    .log("cannot append to the journal");
        }
        metrics.cycleFinished(outcome);
        lastCycle = Optional.of(new DaemonStatus.LastCycle(now, trigger, outcome.name().toLowerCase(Locale.ROOT)));
        return record;
    }

    Optional<DaemonStatus.LastCycle> lastCycle() {
        return lastCycle;
    }

    /** At most {@value #MAX_ERRORS_RECORDED} messages, then how many more: a journal line stays readable. */
    static List<String> cap(List<String> messages) {
        if (messages.size() <= MAX_ERRORS_RECORDED) {
            return messages;
        }
        List<String> capped = new ArrayList<>(messages.subList(0, MAX_ERRORS_RECORDED));
        capped.add("... and " + (messages.size() - MAX_ERRORS_RECORDED) + " more");
        return capped;
    }
}
