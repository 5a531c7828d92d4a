package io.qfence.daemon.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.qfence.apply.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The append-only record of what the daemon did: {@code stateDir/journal.jsonl}, one JSON object per cycle per line.
 * Each append is flushed to disk before it returns, so a record that was reported written survives a crash.
 *
 * <p>A crash in the middle of an append leaves a line without its newline. On open, such a fragment is closed with
 * a newline so the next record starts on a line of its own; readers skip the fragment and report it.
 */
public final class Journal implements AutoCloseable {

    public static final String FILE_NAME = "journal.jsonl";

    private final Path file;
    private final FileChannel channel;

    private Journal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    public static Journal open(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE_NAME);
        boolean created = !Files.exists(file);
        boolean torn = !created && !endsWithNewline(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        try {
            if (torn) {
                writeFully(channel, ByteBuffer.wrap(new byte[] {'\n'}));
                channel.force(true);
            }
            if (created) {
                AtomicFiles.fsyncDirectory(file.toAbsolutePath().getParent());
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new Journal(file, channel);
    }

    public Path file() {
        return file;
    }

    /** Appends one record as one line and flushes it to disk. */
    public synchronized void append(CycleRecord record) throws IOException {
        byte[] line;
        try {
            line = (DaemonJson.JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a cycle record must always serialize", e);
        }
        writeFully(channel, ByteBuffer.wrap(line));
        channel.force(true);
    }

    /** Reads every record of the journal in {@code stateDir}; an absent journal is empty. */
    public static JournalContents read(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return new JournalContents(List.of(), List.of());
        }
        List<CycleRecord> records = new ArrayList<>();
        List<JournalContents.SkippedLine> skipped = new ArrayList<>();
        boolean endsWithNewline = endsWithNewline(file);
        try (InputStream in = Files.newInputStream(file);
             BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            for (String line; (line = reader.readLine()) != null; ) {
                lines.add(line);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                long number = i + 1L;
                if (i == lines.size() - 1 && !endsWithNewline) {
                    skipped.add(new JournalContents.SkippedLine(number,
                            "truncated: the last line has no newline (interrupted while writing)"));
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                try {
                    records.add(DaemonJson.JSON.readValue(line, CycleRecord.class));
                } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
                    skipped.add(new JournalContents.SkippedLine(number, "not a journal record: "
                            + firstLine(e.getMessage())));
                }
            }
        }
        return new JournalContents(records, skipped);
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    /** True for an empty file, or one whose last byte is a newline. */
    private static boolean endsWithNewline(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                return true;
            }
            ByteBuffer last = ByteBuffer.allocate(1);
            return channel.read(last, size - 1) == 1 && last.get(0) == '\n';
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
