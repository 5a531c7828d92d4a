package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a scripted monitor: this is how a hostile QEMU (one whose guest took it over) is simulated,
 * since a real QEMU cannot be made to misbehave on demand. The real-QEMU behaviour is covered by GuestLauncherTest.
 */
class QmpClientTest {

    private static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}";
    /** For answers that do come: generous, because a loaded CI machine may not schedule the monitor thread at once. */
    private static final Duration ANSWER = Duration.ofSeconds(10);
    /** For the silence that a timeout test waits out. */
    private static final Duration SILENCE = Duration.ofMillis(300);
    /** Generous: the first connection of a run also pays for loading Jackson. */
    private static final Duration CONNECT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final List<String> received = new CopyOnWriteArrayList<>();
    private ServerSocketChannel server;
    private Thread serverThread;

    /** Serves one connection: sends the greeting, then answers each request line with {@code responder}. */
    private Path monitor(Function<String, String> responder) throws IOException {
        Path socket = dir.resolve("qmp.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        serverThread = new Thread(() -> {
            try (SocketChannel client = server.accept()) {
                OutputStream out = Channels.newOutputStream(client);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client), StandardCharsets.UTF_8));
                out.write((GREETING + "\r\n").getBytes(StandardCharsets.UTF_8));
                String request;
                while ((request = in.readLine()) != null) {
                    received.add(request);
                    String id = request.replaceAll(".*\"id\":\"([^\"]*)\".*", "$1");
                    String answer = request.contains("qmp_capabilities") ? "{\"return\": {}, \"id\": \"ID\"}" : responder.apply(request);
                    if (answer != null) {
                        answer = answer.replace("ID", id);
                    }
                    if (answer != null) {
                        out.write((answer + "\r\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                // client went away
            }
        });
        serverThread.setDaemon(true);
        serverThread.start();
        return socket;
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void negotiatesCapabilitiesAndMatchesAnswersToRequestsById() throws IOException {
        Path socket = monitor(r -> "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": false}, \"id\": \"ID\"}");
        try (QmpClient qmp = QmpClient.connect(socket, CONNECT)) {
            assertThat(qmp.qemuVersion()).isEqualTo("7.2.22");
            assertThat(qmp.queryStatus(ANSWER)).isEqualTo(new QmpStatus("prelaunch", false));
        }
        assertThat(received).containsExactly("{\"execute\":\"qmp_capabilities\",\"id\":\"qf-1\"}", "{\"execute\":\"query-status\",\"id\":\"qf-2\"}");
    }

    @Test
    void talksToAMonitorServedByTheExpectedUid() throws IOException {
        Path socket = monitor(r -> "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": \"ID\"}");
        long ownUid = ((Number) Files.getAttribute(dir, "unix:uid")).longValue();

        try (QmpClient qmp = QmpClient.connect(socket, CONNECT, ownUid)) {
            assertThat(qmp.queryStatus(ANSWER).status()).isEqualTo("running");
        }
    }

    @Test
    void refusesAMonitorServedByAnotherUidBeforeSendingAnything() throws Exception {
        // What a VM's uid can arrange: its qmp.sock replaced by a link to a socket another uid serves.
        Path socket = monitor(r -> "{\"return\": {}, \"id\": \"ID\"}");
        Path link = Files.createSymbolicLink(dir.resolve("link.sock"), socket);
        long ownUid = ((Number) Files.getAttribute(dir, "unix:uid")).longValue();

        assertThatThrownBy(() -> QmpClient.connect(link, CONNECT, ownUid + 4242))
                .isInstanceOf(QmpException.Connection.class)
                .hasMessage("QMP at " + link + " is served by user " + Files.getOwner(dir).getName() + ", not by the VM's uid "
                        + (ownUid + 4242) + "; qfence does not talk to it");
        serverThread.join(5000);
        assertThat(received).isEmpty();
    }

    @Test
    void eventsArrivingBeforeAnAnswerAreBufferedInOrder() throws IOException {
        Path socket = monitor(r -> "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n"
                + "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\r\n"
                + "{\"return\": {}, \"id\": \"ID\"}");
        try (QmpClient qmp = QmpClient.connect(socket, CONNECT)) {
            qmp.cont(ANSWER);
            assertThat(qmp.drainEvents()).extracting(QmpEvent::name, QmpEvent::timestampMicros)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("STOP", 1_000_002L), org.assertj.core.groups.Tuple.tuple("SHUTDOWN", 1_000_003L));
            assertThat(qmp.drainEvents()).isEmpty();
        }
    }

    @Test
    void anErrorAnswerBecomesCommandFailedWithItsClass() throws IOException {
        Path socket = monitor(r -> "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}, \"id\": \"ID\"}");
        try (QmpClient qmp = QmpClient.connect(socket, CONNECT)) {
            assertThatThrownBy(() -> qmp.execute("nope", ANSWER))
                    .isInstanceOfSatisfying(QmpException.CommandFailed.class, e -> assertThat(e.errorClass()).isEqualTo("CommandNotFound"))
                    .hasMessage("nope failed: CommandNotFound: The command nope has not been found");
            assertThat(qmp.isOpen()).as("an error answer is still QMP").isTrue();
        }
    }

    @Test
    void aMonitorThatStaysSilentTimesOut() throws IOException {
        Path socket = monitor(r -> null);
        try (QmpClient qmp = QmpClient.connect(socket, CONNECT)) {
            assertThatThrownBy(() -> qmp.queryStatus(SILENCE)).isInstanceOf(QmpException.Timeout.class)
                    .hasMessageContaining("did not answer query-status in time");
        }
    }

    @Test
    void anOversizedLineClosesTheConnection() throws IOException {
        Path socket = monitor(r -> "{\"return\": \"" + "x".repeat(QmpClient.MAX_LINE_BYTES) + "\", \"id\": \"ID\"}");
        try (QmpClient qmp = QmpClient.connect(socket, CONNECT)) {
            assertThatThrownBy(() -> qmp.queryName(ANSWER)).isInstanceOf(QmpException.ProtocolError.class)
                    .hasMessageContaining("exceeds " + QmpClient.MAX_LINE_BYTES + " bytes");
            assertThat(qmp.isOpen()).isFalse();
        }
    }

    @Test
    void malformedDuplicateKeyedOrMismatchedAnswersAreProtocolErrors() throws IOException {
        for (String answer : List.of(
                "{\"return\": {}, \"id\": \"ID\"",
                "{\"return\": {}, \"return\": {\"status\": \"running\"}, \"id\": \"ID\"}",
                "{\"return\": {}, \"id\": \"ID\"} {}",
                "{\"return\": {}, \"id\": \"someone-else\"}",
                "[1, 2]",
                "{\"return\": {}, \"id\": \"ID\", \"extra\": 1}")) {
            Path socket = monitor(r -> answer);
            try (QmpClient qmp = QmpClient.connect(socket, CONNECT)) {
                assertThatThrownBy(() -> qmp.execute("query-status", ANSWER)).as(answer).isInstanceOf(QmpException.ProtocolError.class);
            }
            server.close();
            java.nio.file.Files.deleteIfExists(socket);
        }
    }

    @Test
    void somethingOtherThanAGreetingIsRefused() throws IOException {
        Path socket = dir.resolve("other.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            Thread t = new Thread(() -> {
                try (SocketChannel c = other.accept()) {
                    c.write(java.nio.ByteBuffer.wrap("{\"hello\": 1}\n".getBytes(StandardCharsets.UTF_8)));
                    Thread.sleep(1000);
                } catch (Exception e) {
                    // done
                }
            });
            t.setDaemon(true);
            t.start();
            assertThatThrownBy(() -> QmpClient.connect(socket, CONNECT)).isInstanceOf(QmpException.ProtocolError.class)
                    .hasMessageContaining("expected the QMP greeting");
        }
    }

    @Test
    void aMissingSocketIsAConnectionError() {
        assertThatThrownBy(() -> QmpClient.connect(dir.resolve("absent.sock"), ANSWER)).isInstanceOf(QmpException.Connection.class);
    }

    @Test
    void argumentsAreSentAsAJsonObject() throws IOException {
        Path socket = monitor(r -> "{\"return\": {}, \"id\": \"ID\"}");
        try (QmpClient qmp = QmpClient.connect(socket, CONNECT)) {
            qmp.execute("human-monitor-command", Map.of("command-line", "info \"x\""), ANSWER);
        }
        assertThat(received.get(1)).isEqualTo("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info \\\"x\\\"\"},\"id\":\"qf-2\"}");
    }
}
