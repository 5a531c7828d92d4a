package io.qfence.platform.qemu;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import jdk.net.ExtendedSocketOptions;

/**
 * A client for one QEMU's QMP monitor on a UNIX socket (never TCP). It treats QEMU as untrusted: a guest that has
 * taken over its QEMU controls every byte that comes back. So every read has a deadline, a line is capped at
 * {@link #MAX_LINE_BYTES}, at most {@link #MAX_BUFFERED_EVENTS} events are kept, and each line must be exactly one
 * strict JSON object of a known QMP shape; anything else closes the connection with {@link QmpException.ProtocolError}.
 *
 * <p>Not thread-safe in the sense of interleaving: every public method is synchronized, one command at a time.
 */
public final class QmpClient implements AutoCloseable {

    public static final int MAX_LINE_BYTES = 64 * 1024;
    public static final int MAX_BUFFERED_EVENTS = 256;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(32).maxStringLength(MAX_LINE_BYTES).maxNumberLength(40).build());
    }

    private final Path socket;
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(8192);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final Deque<JsonNode> pendingLines = new ArrayDeque<>();
    private final Deque<QmpEvent> events = new ArrayDeque<>();
    private final JsonNode greeting;
    private long nextId = 1;
    private int droppedEvents;
    private boolean closed;

    private QmpClient(Path socket, SocketChannel channel, Selector selector, long deadline) {
        this.socket = socket;
        this.channel = channel;
        this.selector = selector;
        JsonNode first = readLine(deadline, "greeting");
        if (!first.isObject() || first.size() != 1 || !first.path("QMP").isObject()) {
            throw protocol("expected the QMP greeting, got " + abbreviate(first.toString()));
        }
        this.greeting = first.get("QMP");
        execute("qmp_capabilities", Map.of(), remaining(deadline));
    }

    private static void requirePeer(SocketChannel channel, Path socket, long uid) throws IOException {
        UserPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
        // A numeric name that is no user name is looked up as that uid; principals compare by uid.
        UserPrincipal expected = FileSystems.getDefault().getUserPrincipalLookupService()
                .lookupPrincipalByName(Long.toString(uid));
        if (!peer.equals(expected)) {
            throw new QmpException.Connection("QMP at " + socket + " is served by user " + peer.getName()
                    + ", not by the VM's uid " + uid + "; qfence does not talk to it", null);
        }
    }

    /**
     * Connects to the monitor at {@code socket}, reads the greeting and leaves capabilities negotiation mode, all
     * within {@code timeout}.
     */
    public static QmpClient connect(Path socket, Duration timeout) {
        return connect(socket, timeout, OptionalLong.empty());
    }

    /**
     * As {@link #connect(Path, Duration)}, but talks only to a server running as {@code uid}: the peer's credentials
     * ({@code SO_PEERCRED}, fixed when QEMU created the listening socket) are checked before a byte is read or sent.
     * The socket lives in the VM's own directory, which the VM's uid can change: a QEMU taken over by its guest could
     * put a symbolic link to another VM's monitor (or to any root-only socket) there, and root follows it. Each VM
     * has its own uid, so such a peer is refused.
     */
    public static QmpClient connect(Path socket, Duration timeout, long uid) {
        return connect(socket, timeout, OptionalLong.of(uid));
    }

    private static QmpClient connect(Path socket, Duration timeout, OptionalLong uid) {
        long deadline = deadline(timeout);
        SocketChannel channel = null;
        Selector selector = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            // Non-blocking from the start: a QEMU that stopped accepting must not hang connect() either.
            channel.configureBlocking(false);
            selector = Selector.open();
            if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
                SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
                while (!channel.finishConnect()) {
                    long waitMillis = (deadline - System.nanoTime()) / 1_000_000;
                    if (waitMillis <= 0) {
                        throw new QmpException.Timeout("QMP at " + socket + " does not accept connections");
                    }
                    selector.select(waitMillis);
                    selector.selectedKeys().clear();
                }
                key.cancel();
                selector.selectNow();
            }
            if (uid.isPresent()) {
                requirePeer(channel, socket, uid.getAsLong());
            }
            channel.register(selector, SelectionKey.OP_READ);
            return new QmpClient(socket, channel, selector, deadline);
        } catch (IOException e) {
            closeQuietly(channel, selector);
            throw new QmpException.Connection("connect to QMP at " + socket + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel, selector);
            throw e;
        }
    }

    /** QEMU's version as the greeting reports it, e.g. {@code 7.2.22}. */
    public String qemuVersion() {
        JsonNode v = greeting.path("version").path("qemu");
        return v.path("major").asInt() + "." + v.path("minor").asInt() + "." + v.path("micro").asInt();
    }

    public Path socket() {
        return socket;
    }

    /** Runs {@code command} with {@code arguments} (may be empty) and returns its {@code return} value. */
    public synchronized JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        Objects.requireNonNull(command, "command");
        ensureOpen();
        long deadline = deadline(timeout);
        String id = "qf-" + nextId++;
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        request.put("id", id);
        send(request, command);
        while (true) {
            JsonNode message = readLine(deadline, command);
            if (message.has("event")) {
                bufferEvent(message);
                continue;
            }
            if (!id.equals(message.path("id").asText(null))) {
                throw protocol("answer to " + command + " carries id " + abbreviate(String.valueOf(message.get("id"))) + ", expected " + id);
            }
            if (message.has("return") && message.size() == 2) {
                return message.get("return");
            }
            if (message.has("error") && message.size() == 2) {
                JsonNode error = message.get("error");
                throw new QmpException.CommandFailed(command, abbreviate(error.path("class").asText("?")),
                        abbreviate(error.path("desc").asText("?")));
            }
            throw protocol("answer to " + command + " is neither return nor error: " + abbreviate(message.toString()));
        }
    }

    public JsonNode execute(String command, Duration timeout) {
        return execute(command, Map.of(), timeout);
    }

    public QmpStatus queryStatus(Duration timeout) {
        JsonNode r = execute("query-status", timeout);
        if (!r.path("status").isTextual() || !r.path("running").isBoolean()) {
            throw protocol("query-status answer lacks status/running: " + abbreviate(r.toString()));
        }
        return new QmpStatus(abbreviate(r.get("status").asText()), r.get("running").asBoolean());
    }

    /** The {@code -name guest=} value, if QEMU was given one. */
    public Optional<String> queryName(Duration timeout) {
        JsonNode r = execute("query-name", timeout);
        return r.path("name").isTextual() ? Optional.of(abbreviate(r.get("name").asText())) : Optional.empty();
    }

    public void cont(Duration timeout) {
        execute("cont", timeout);
    }

    /** Presses the ACPI power button; a guest that handles it shuts down and QEMU then exits. */
    public void systemPowerdown(Duration timeout) {
        execute("system_powerdown", timeout);
    }

    /**
     * Ends QEMU at once. QEMU may close the socket before or right after answering; either counts as success.
     */
    public synchronized void quit(Duration timeout) {
        try {
            execute("quit", timeout);
        } catch (QmpException.Connection e) {
            // QEMU exited while answering: that is what quit asks for
        } finally {
            close();
        }
    }

    /** The events received so far, oldest first, and forgets them. */
    public synchronized List<QmpEvent> drainEvents() {
        List<QmpEvent> drained = new ArrayList<>(events);
        events.clear();
        return drained;
    }

    /** Events dropped because more than {@link #MAX_BUFFERED_EVENTS} were waiting. */
    public synchronized int droppedEvents() {
        return droppedEvents;
    }

    /**
     * Waits up to {@code timeout} for an event named {@code name} (taking it and the events before it from the
     * buffer). Empty if none came, or if QEMU closed the connection first (as it does when it exits).
     */
    public synchronized Optional<QmpEvent> awaitEvent(String name, Duration timeout) {
        long deadline = deadline(timeout);
        while (true) {
            while (!events.isEmpty()) {
                QmpEvent e = events.pollFirst();
                if (e.name().equals(name)) {
                    return Optional.of(e);
                }
            }
            if (closed) {
                return Optional.empty();
            }
            JsonNode message;
            try {
                message = readLine(deadline, "event " + name);
            } catch (QmpException.Timeout | QmpException.Connection e) {
                return Optional.empty();
            }
            if (!message.has("event")) {
                throw protocol("unsolicited answer while waiting for " + name + ": " + abbreviate(message.toString()));
            }
            bufferEvent(message);
        }
    }

    public synchronized boolean isOpen() {
        return !closed;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            closeQuietly(channel, selector);
        }
    }

    private void send(JsonNode request, String command) {
        byte[] bytes;
        try {
            bytes = (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode arguments of " + command, e);
        }
        ByteBuffer out = ByteBuffer.wrap(bytes);
        try {
            // Requests are small; a full socket buffer would mean QEMU stopped reading, so fail rather than spin.
            int spins = 0;
            while (out.hasRemaining()) {
                if (channel.write(out) == 0 && ++spins > 1000) {
                    throw new QmpException.Timeout("QMP at " + socket + " does not accept " + command);
                }
            }
        } catch (IOException e) {
            close();
            throw new QmpException.Connection("send " + command + " to QMP at " + socket + ": " + e.getMessage(), e);
        }
    }

    private JsonNode readLine(long deadline, String waitingFor) {
        if (!pendingLines.isEmpty()) {
            return pendingLines.pollFirst();
        }
        try {
            while (true) {
                readBuffer.flip();
                while (readBuffer.hasRemaining()) {
                    byte b = readBuffer.get();
                    if (b == '\n') {
                        pendingLines.addLast(parse(line.toByteArray()));
                        line.reset();
                    } else {
                        if (line.size() >= MAX_LINE_BYTES) {
                            throw protocol("a line from QMP at " + socket + " exceeds " + MAX_LINE_BYTES + " bytes");
                        }
                        line.write(b);
                    }
                }
                readBuffer.clear();
                if (!pendingLines.isEmpty()) {
                    return pendingLines.pollFirst();
                }
                long waitMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (waitMillis <= 0) {
                    throw new QmpException.Timeout("QMP at " + socket + " did not answer " + waitingFor + " in time");
                }
                selector.select(waitMillis);
                selector.selectedKeys().clear();
                int n = channel.read(readBuffer);
                if (n < 0) {
                    close();
                    throw new QmpException.Connection("QMP at " + socket + " closed the connection while waiting for " + waitingFor, null);
                }
            }
        } catch (IOException e) {
            close();
            throw new QmpException.Connection("read from QMP at " + socket + ": " + e.getMessage(), e);
        }
    }

    private JsonNode parse(byte[] bytes) {
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
        try {
            JsonNode node = JSON.readTree(new String(bytes, 0, length, StandardCharsets.UTF_8));
            if (node == null || !node.isObject()) {
                throw protocol("QMP at " + socket + " sent a line that is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw protocol("QMP at " + socket + " sent malformed JSON: " + abbreviate(e.getOriginalMessage()));
        }
    }

    private void bufferEvent(JsonNode message) {
        JsonNode timestamp = message.path("timestamp");
        if (!message.get("event").isTextual()) {
            throw protocol("event name is not a string");
        }
        long micros = timestamp.path("seconds").asLong() * 1_000_000 + timestamp.path("microseconds").asLong();
        JsonNode data = message.has("data") ? message.get("data") : JsonNodeFactory.instance.objectNode();
        if (events.size() >= MAX_BUFFERED_EVENTS) {
            events.pollFirst();
            droppedEvents++;
        }
        events.addLast(new QmpEvent(abbreviate(message.get("event").asText()), data, micros));
    }

    private void ensureOpen() {
        if (closed) {
            throw new QmpException.Connection("QMP connection to " + socket + " is closed", null);
        }
    }

    private QmpException.ProtocolError protocol(String message) {
        close();
        return new QmpException.ProtocolError(message, null);
    }

    /** Guest-controlled text goes into messages and logs only shortened and without control characters. */
    static String abbreviate(String text) {
        if (text == null) {
            return "null";
        }
        String clean = text.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return clean.length() <= 200 ? clean : clean.substring(0, 200) + "...";
    }

    private static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static void closeQuietly(SocketChannel channel, Selector selector) {
        try {
            if (selector != null) {
                selector.close();
            }
        } catch (IOException ignored) {
            // closing
        }
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }
}
