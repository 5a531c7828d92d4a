package io.qfence.daemon.notify;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.apply.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the daemon has already delivered, kept in {@code stateDir/}{@value #FILE_NAME} so that a restart does not send
 * it again: the last commit status the forge accepted for each commit (its context, state and description), and when
 * each notification's dedupe key was last delivered. Only a delivery the far end accepted ({@code sent}) is written:
 * a status still queued or retrying when the daemon stops is sent again after the restart, as it should be.
 *
 * <p>The file is replaced atomically (mode 0600, like everything in the state directory) after each delivery, and
 * bounded: the {@value #MAX_STATUSES} commits used last and the {@value #MAX_NOTICES} latest notifications, so it
 * stays under about a megabyte. It is read strictly ({@link #MAX_BYTES} at most, version 1, every field present and
 * well formed); a file that is not is not trusted at all: the ledger starts empty and says so, and the worst that follows
 * is one status or notification sent twice.
 */
public final class SentLedger {

    public static final String FILE_NAME = "outbound-sent.json";
    static final int MAX_STATUSES = 256;
    static final int MAX_NOTICES = 4096;
    /** Far above what the bounds allow (about 300 bytes a status, 150 a notification): a larger file is not ours. */
    static final long MAX_BYTES = 2L * 1024 * 1024;
    private static final int VERSION = 1;
    private static final Logger LOG = LoggerFactory.getLogger(SentLedger.class);
    /** Strict: nothing after the object, no key twice. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Optional<Path> file;
    /** {@code context/sha} to {@code state\ndescription}, in the order used (the eldest is dropped first). */
    private final LinkedHashMap<String, String> statuses = new LinkedHashMap<>(16, 0.75f, true);
    /** dedupe key to when it was last delivered, oldest first. */
    private final LinkedHashMap<String, Instant> notices = new LinkedHashMap<>();

    private SentLedger(Optional<Path> file) {
        this.file = file;
    }

    /** Remembers for this process only: for tests and for a daemon without a state directory of its own. */
    public static SentLedger inMemory() {
        return new SentLedger(Optional.empty());
    }

    /**
     * The ledger kept in {@code stateDir}: what the file holds, or empty when there is none; empty too, with a warning
     * to {@code warnings} naming the file and what is wrong, when it cannot be read or is not a ledger.
     */
    public static SentLedger open(Path stateDir, Consumer<String> warnings) {
        Path path = stateDir.resolve(FILE_NAME);
        SentLedger ledger = new SentLedger(Optional.of(path));
        try {
            if (Files.size(path) > MAX_BYTES) {
                throw new IOException("larger than " + MAX_BYTES + " bytes");
            }
            ledger.load(JSON.readTree(Files.readString(path, StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return ledger;
        } catch (IOException | IllegalArgumentException | DateTimeParseException e) {
            ledger.statuses.clear();
            ledger.notices.clear();
            warnings.accept(path + " is not a record of sent statuses and notifications (" + e.getMessage()
                    + "): starting with none, so one already sent may be sent again");
        }
        return ledger;
    }

    /** As {@link #open(Path, Consumer)}, warning in the daemon's log. */
    public static SentLedger open(Path stateDir) {
        return open(stateDir, LOG::warn);
    }

    private void load(JsonNode root) throws IOException {
        if (root == null || !root.isObject()) {
            throw new IOException("not a JSON object");
        }
        expectFields(root, Set.of("version", "statuses", "notifications"), "the file");
        if (!root.path("version").isInt() || root.path("version").intValue() != VERSION) {
            throw new IOException("version " + root.path("version") + ", not " + VERSION);
        }
        for (JsonNode s : array(root, "statuses")) {
            expectFields(s, Set.of("key", "shown"), "a status");
            statuses.put(text(s, "key"), text(s, "shown"));
        }
        for (JsonNode n : array(root, "notifications")) {
            expectFields(n, Set.of("key", "at"), "a notification");
            notices.remove(text(n, "key"));
            notices.put(text(n, "key"), Instant.parse(text(n, "at")));
        }
        trim();
    }

    private static void expectFields(JsonNode node, Set<String> fields, String what) throws IOException {
        if (!node.isObject()) {
            throw new IOException(what + " is not a JSON object");
        }
        Set<String> seen = new java.util.TreeSet<>();
        node.fieldNames().forEachRemaining(seen::add);
        if (!seen.equals(new java.util.TreeSet<>(fields))) {
            throw new IOException(what + " has fields " + seen + ", not " + new java.util.TreeSet<>(fields));
        }
    }

    private static Iterable<JsonNode> array(JsonNode root, String field) throws IOException {
        if (!root.get(field).isArray()) {
            throw new IOException(field + " is not a list");
        }
        return root.get(field);
    }

    private static String text(JsonNode node, String field) throws IOException {
        JsonNode value = node.get(field);
        if (!value.isTextual() || value.textValue().isEmpty()) {
            throw new IOException(field + " is not a non-empty string: " + value);
        }
        return value.textValue();
    }

    /** What was last delivered to the forge for {@code key} ({@code context/sha}): {@code state\ndescription}. */
    public synchronized Optional<String> status(String key) {
        return Optional.ofNullable(statuses.get(key));
    }

    /** The forge accepted {@code shown} for {@code key}. */
    public synchronized void statusSent(String key, String shown) {
        statuses.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(shown, "shown"));
        trim();
        save();
    }

    /** When the notification with {@code dedupeKey} was last delivered, if within what is remembered. */
    public synchronized Optional<Instant> notice(String dedupeKey) {
        return Optional.ofNullable(notices.get(dedupeKey));
    }

    /**
     * The receiver accepted the notification {@code dedupeKey} made at {@code at}; notifications older than
     * {@code window} before it are forgotten (they no longer hold anything back).
     */
    public synchronized void noticeSent(String dedupeKey, Instant at, Duration window) {
        Objects.requireNonNull(dedupeKey, "dedupeKey");
        Objects.requireNonNull(at, "at");
        Instant previous = notices.get(dedupeKey);
        if (previous != null && previous.isAfter(at)) {
            return; // a later one of the same key was delivered first: it is the one that counts
        }
        notices.remove(dedupeKey);
        notices.put(dedupeKey, at);
        notices.values().removeIf(when -> !at.isBefore(when.plus(window)));
        trim();
        save();
    }

    private void trim() {
        trim(statuses, MAX_STATUSES);
        trim(notices, MAX_NOTICES);
    }

    private static void trim(Map<String, ?> map, int max) {
        Iterator<String> eldest = map.keySet().iterator();
        while (map.size() > max) {
            eldest.next();
            eldest.remove();
        }
    }

    /** Writes the file; a failure is logged, never thrown: a delivery that went out is not undone by a full disk. */
    private void save() {
        if (file.isEmpty()) {
            return;
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        ArrayNode s = root.putArray("statuses");
        statuses.forEach((key, shown) -> s.addObject().put("key", key).put("shown", shown));
        ArrayNode n = root.putArray("notifications");
        notices.forEach((key, at) -> n.addObject().put("key", key).put("at", at.toString()));
        try {
            AtomicFiles.write(file.get(), (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serializes", e);
        } catch (IOException e) {
            LOG.warn("could not record what was sent in " + file.get() + ": " + e.getMessage()
                    + "; after a restart it may be sent again");
        }
    }
}
