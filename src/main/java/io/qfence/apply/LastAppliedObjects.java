package io.qfence.apply;

import io.qfence.model.host.HostObject;
import io.qfence.plan.SnapshotCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The realization qfence last applied completely to a host, in {@code stateDir/last-applied-objects.json}
 * ({@link SnapshotCodec#objectsToJson}), written atomically after every successful apply. Plans pass it as
 * {@code PlanOptions.lastApplied}, which is what lets them tell drift (the host moved, the desired state did not)
 * from a change of the desired state.
 *
 * <p>Not to be confused with the daemon's {@code stateDir/last-applied}, which records the Git revision.
 */
public final class LastAppliedObjects {

    public static final String FILE_NAME = "last-applied-objects.json";

    private LastAppliedObjects() {}

    /** A record that cannot be read. Plans then work without history (no drift labels), which is always safe. */
    public static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The record, or empty when there is none yet. */
    public static Optional<List<HostObject>> read(Path stateDir) throws Unreadable {
        return read(stateDir, null);
    }

    /**
     * Reads the record like {@link LastAppliedObjects#read(Path)}, but decodes it again only when its text changed
     * since the previous read: a long-lived process (the daemon) reads the same record every cycle, and decoding
     * it is most of the cost (some 30 ms at 1000 VMs).
     */
    public static final class Reader {
        private String text;
        private List<HostObject> objects;

        public synchronized Optional<List<HostObject>> read(Path stateDir) throws Unreadable {
            return LastAppliedObjects.read(stateDir, this);
        }
    }

    private static Optional<List<HostObject>> read(Path stateDir, Reader cache) throws Unreadable {
        Path file = stateDir.resolve(FILE_NAME);
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new Unreadable("cannot read " + file + ": " + io.qfence.model.errors.IoMessages.describe(e), e);
        }
        if (cache != null && json.equals(cache.text)) {
            return Optional.of(cache.objects);
        }
        try {
            List<HostObject> objects = SnapshotCodec.objectsFromJson(json);
            if (cache != null) {
                cache.text = json;
                cache.objects = objects;
            }
            return Optional.of(objects);
        } catch (IllegalArgumentException e) {
            throw new Unreadable(file + " is not a record of applied objects: " + e.getMessage(), e);
        }
    }

    /** Replaces the record atomically: after a crash it holds the old record or the new one. */
    public static void write(Path stateDir, List<? extends HostObject> objects) throws IOException {
        AtomicFiles.write(stateDir.resolve(FILE_NAME), SnapshotCodec.objectsToJson(objects).getBytes(StandardCharsets.UTF_8));
    }
}
