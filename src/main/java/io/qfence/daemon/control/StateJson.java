package io.qfence.daemon.control;

import io.qfence.apply.AtomicFiles;
import io.qfence.daemon.journal.DaemonJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** The JSON of the control and status files in {@code stateDir}: ISO-8601 times, absent optionals left out. */
final class StateJson {

    private StateJson() {}

    static <T> Optional<T> read(Path file, Class<T> type) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(DaemonJson.JSON.readValue(bytes, type));
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + " is not a valid " + type.getSimpleName() + " file: "
                    + firstLine(e.getMessage()), e);
        }
    }

    static void write(Path file, Object value) throws IOException {
        AtomicFiles.write(file, (DaemonJson.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value) + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
