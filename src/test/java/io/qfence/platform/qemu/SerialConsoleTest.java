package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import io.qfence.model.errors.HostPortException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The marker protocol against a scripted console; the real guest is driven in GuestLauncherTest. */
class SerialConsoleTest {

    private static final Pattern WRAPPED = Pattern.compile("echo QF-B:(\\d+); (.*); echo QF-E:\\1:\\$\\?");

    @TempDir
    Path dir;
    private ServerSocketChannel server;

    /** A console that echoes what is typed (like a tty with echo on), then answers with {@code shell(id, command)}. */
    private Path console(BiFunction<Integer, String, String> shell) throws IOException {
        Path socket = dir.resolve("serial.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            try (SocketChannel c = server.accept()) {
                OutputStream out = Channels.newOutputStream(c);
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    Matcher m = WRAPPED.matcher(line);
                    String answer = m.matches() ? shell.apply(Integer.parseInt(m.group(1)), m.group(2)) : null;
                    out.write((line + "\r\n" + (answer == null ? "" : answer)).getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // closed
            }
        });
        t.setDaemon(true);
        t.start();
        return socket;
    }

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    @Test
    void collectsExactlyTheOutputBetweenItsOwnMarkersDespiteEchoAndPrompts() throws IOException {
        Path socket = console((id, command) -> "/ # QF-B:" + id + "\r\nPING 10.0.0.1\r\nQF-E:" + (id + 1) + ":0\r\none packet\r\nQF-E:" + id + ":1\r\n");
        try (SerialConsole console = SerialConsole.connect(socket)) {
            SerialConsole.Result r = console.run("ping -c 1 10.0.0.1", Duration.ofSeconds(5));
            assertThat(r).isEqualTo(new SerialConsole.Result(1, "PING 10.0.0.1\nQF-E:2:0\none packet"));
        }
    }

    @Test
    void waitsForAShellThatIgnoresTheFirstAttempts() throws IOException {
        Path socket = console((id, command) -> id < 3 ? null : "QF-B:" + id + "\nQF-E:" + id + ":0\n");
        try (SerialConsole console = SerialConsole.connect(socket)) {
            console.awaitShell(Duration.ofSeconds(30), Duration.ofSeconds(1));
            assertThat(console.run("true", Duration.ofSeconds(5)).succeeded()).isTrue();
        }
    }

    @Test
    void aCommandThatNeverFinishesTimesOutAndEndlessOutputIsCut() throws IOException {
        Path socket = console((id, command) -> command.equals("yes") ? ("QF-B:" + id + "\n" + "y\n".repeat(SerialConsole.MAX_OUTPUT_BYTES)) : null);
        try (SerialConsole console = SerialConsole.connect(socket)) {
            assertThatThrownBy(() -> console.run("sleep 100", Duration.ofMillis(200))).isInstanceOf(HostPortException.class)
                    .hasMessageContaining("did not finish in time");
            assertThatThrownBy(() -> console.run("yes", Duration.ofSeconds(10))).isInstanceOf(HostPortException.class)
                    .hasMessageContaining("exceeds " + SerialConsole.MAX_OUTPUT_BYTES);
        }
    }

    @Test
    void commandsAreOneLine() throws IOException {
        Path socket = console((id, command) -> null);
        try (SerialConsole console = SerialConsole.connect(socket)) {
            assertThatThrownBy(() -> console.run("a\nb", Duration.ofSeconds(1))).hasMessage("a console command is one line");
        }
    }
}
