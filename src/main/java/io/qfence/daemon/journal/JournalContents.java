package io.qfence.daemon.journal;

import java.util.List;

/**
 * The journal as read back: the records, and the lines that could not be read. A crash can leave the last line
 * half-written; that line is skipped and named here rather than failing the whole read.
 */
public record JournalContents(List<CycleRecord> records, List<SkippedLine> skipped) {

    public JournalContents {
        records = List.copyOf(records);
        skipped = List.copyOf(skipped);
    }

    /** @param lineNumber 1-based */
    public record SkippedLine(long lineNumber, String reason) {}
}
