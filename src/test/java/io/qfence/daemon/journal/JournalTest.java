package io.qfence.daemon.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.qfence.daemon.journal.CycleRecord.PlanSummary;
import io.qfence.daemon.journal.JournalContents.SkippedLine;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {

    @TempDir
    Path stateDir;

    private static CycleRecord applied(int n) {
        return new CycleRecord(Instant.parse("2024-05-01T12:00:00Z").plusSeconds(n), 1234, "schedule", Outcome.APPLIED,
                Optional.of("0123456789abcdef0123456789abcdef01234567"), Optional.of("sha256:abc" + n),
                Optional.of(new PlanSummary(2, 1, 0)),
                List.of(new ActionResult("group.web/bridge", "create", "ok", 12, Optional.empty()),
                        new ActionResult("group.web/vm.web-01", "create", "failed", 2000, Optional.of("qemu exited 1"))),
                List.of(new Drift("firewall", "firewall", true)),
                List.of("group.web/vm.web-01: qemu exited 1"));
    }

    @Test
    void recordsAreAppendedAsOneJsonObjectPerLineAndReadBack() throws Exception {
        try (Journal journal = Journal.open(stateDir)) {
            journal.append(applied(1));
            journal.append(applied(2));
        }

        List<String> lines = Files.readAllLines(stateDir.resolve(Journal.FILE_NAME));
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("{\"startedAt\":\"2024-05-01T12:00:01Z\",\"durationMillis\":1234,"
                + "\"trigger\":\"schedule\",\"outcome\":\"APPLIED\",\"revision\":\"0123456789abcdef");
        assertThat(Journal.read(stateDir)).isEqualTo(new JournalContents(List.of(applied(1), applied(2)), List.of()));
    }

    @Test
    void reopeningAppendsAfterWhatIsThere() throws Exception {
        try (Journal journal = Journal.open(stateDir)) {
            journal.append(applied(1));
        }
        try (Journal journal = Journal.open(stateDir)) {
            journal.append(applied(2));
        }

        assertThat(Journal.read(stateDir).records()).containsExactly(applied(1), applied(2));
    }

    @Test
    void aLineCutShortByACrashIsSkippedAndReported() throws Exception {
        try (Journal journal = Journal.open(stateDir)) {
            journal.append(applied(1));
            journal.append(applied(2));
        }
        Path file = stateDir.resolve(Journal.FILE_NAME);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 40);
        }

        JournalContents contents = Journal.read(stateDir);

        assertThat(contents.records()).containsExactly(applied(1));
        assertThat(contents.skipped()).containsExactly(
                new SkippedLine(2, "truncated: the last line has no newline (interrupted while writing)"));
    }

    @Test
    void afterACrashTheNextRecordStartsOnItsOwnLine() throws Exception {
        try (Journal journal = Journal.open(stateDir)) {
            journal.append(applied(1));
        }
        Files.write(stateDir.resolve(Journal.FILE_NAME), "{\"startedAt\":\"2024-".getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.APPEND);

        try (Journal journal = Journal.open(stateDir)) {
            journal.append(applied(3));
        }

        JournalContents contents = Journal.read(stateDir);
        assertThat(contents.records()).containsExactly(applied(1), applied(3));
        assertThat(contents.skipped()).singleElement().satisfies(skipped -> {
            assertThat(skipped.lineNumber()).isEqualTo(2);
            assertThat(skipped.reason()).startsWith("not a journal record: ");
        });
    }

    @Test
    void anAbsentJournalIsEmpty() throws Exception {
        assertThat(Journal.read(stateDir)).isEqualTo(new JournalContents(List.of(), List.of()));
    }

    @Test
    void optionalFieldsAreLeftOutWhenAbsent() throws Exception {
        CycleRecord failed = new CycleRecord(Instant.parse("2024-05-01T12:00:00Z"), 5, "webhook", Outcome.FAILED,
                Optional.empty(), Optional.empty(), Optional.empty(), List.of(), List.of(),
                List.of("fetch from git://h/r.git failed: Connection refused"));
        try (Journal journal = Journal.open(stateDir)) {
            journal.append(failed);
        }

        assertThat(Files.readString(stateDir.resolve(Journal.FILE_NAME))).isEqualTo("{\"startedAt\":\"2024-05-01T12:00:00Z\","
                + "\"durationMillis\":5,\"trigger\":\"webhook\",\"outcome\":\"FAILED\",\"actions\":[],\"drift\":[],"
                + "\"errors\":[\"fetch from git://h/r.git failed: Connection refused\"]}\n");
        assertThat(Journal.read(stateDir).records()).containsExactly(failed);
    }
}
