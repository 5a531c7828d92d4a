package io.qfence.platform.qemu;

import io.qfence.model.errors.HostPortException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives the shell on a guest's serial console (the probe guest runs one; see {@code bin/probe-init.sh}) through the
 * console's UNIX socket. Each command is wrapped in markers that carry a sequence number:
 * <pre>echo QF-B:7; COMMAND; echo QF-E:7:$?</pre>
 * and only the lines between {@code QF-B:7} and {@code QF-E:7:<status>} are its output. Markers are recognised only
 * as whole lines in their printed form, so an echo of the typed command (should the tty echo) never matches.
 *
 * <p>The wrapper has no quotes on purpose: while the guest boots, its UART drops the first bytes it was sent, and a
 * line cut inside a quoted string would leave the shell waiting for the closing quote forever. A cut wrapper is at
 * worst a command that is not found.
 *
 * <p>The guest is untrusted: output is capped at {@link #MAX_OUTPUT_BYTES} per command and every wait has a
 * deadline. A QEMU serial socket serves one client at a time; close the console to free it.
 */
public final class SerialConsole implements AutoCloseable {

    public static final int MAX_OUTPUT_BYTES = 256 * 1024;
    private static final Pattern END = Pattern.compile("QF-E:(\\d+):(\\d+)");

    private final Path socket;
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer buffer = ByteBuffer.allocate(4096);
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private long sequence;

    /** A command's result: its exit status in the guest and what it printed (stdout and stderr, LF-separated). */
    public record Result(int exitCode, String output) {
        public Result {
            Objects.requireNonNull(output, "output");
        }

        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    private SerialConsole(Path socket, SocketChannel channel, Selector selector) {
        this.socket = socket;
        this.channel = channel;
        this.selector = selector;
    }

    /** @throws HostPortException (port {@code guests}) when the socket cannot be connected to */
    public static SerialConsole connect(Path socket) throws HostPortException {
        return GuestPortEdge.call("connect", object(socket), () -> open(socket));
    }

    /** {@code serial console /run/qfence/web-01/serial.sock}: how a failure names the console. */
    private static String object(Path socket) {
        return "serial console " + socket;
    }

    private static SerialConsole open(Path socket) {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new SerialConsole(socket, channel, selector);
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // reporting the connect failure
                }
            }
            throw new SerialConsoleException("connect to serial console " + socket + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the guest's shell answers (it may still be booting): sends a no-op command every
     * {@code attemptEvery} until one answers, within {@code timeout}.
     */
    public void awaitShell(Duration timeout, Duration attemptEvery) throws HostPortException {
        GuestPortEdge.run("await its shell", object(socket), () -> awaitShellHere(timeout, attemptEvery));
    }

    private void awaitShellHere(Duration timeout, Duration attemptEvery) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new SerialConsoleException("no shell on serial console " + socket + " within " + timeout.toMillis() + " ms", null);
            }
            try {
                runHere("true", Duration.ofNanos(Math.min(remaining, attemptEvery.toNanos())));
                return;
            } catch (SerialConsoleException e) {
                if (e.getCause() instanceof IOException) {
                    throw e;
                }
                // not answered yet; try again with a new sequence number
            }
        }
    }

    /**
     * Runs {@code command} in the guest's shell and waits up to {@code timeout} for it to finish.
     *
     * @throws HostPortException (port {@code guests}) when the console fails or the command does not finish in time
     */
    public Result run(String command, Duration timeout) throws HostPortException {
        return GuestPortEdge.call("run '" + command + "'", object(socket), () -> runHere(command, timeout));
    }

    private synchronized Result runHere(String command, Duration timeout) {
        if (command.contains("\n") || command.contains("\r")) {
            throw new IllegalArgumentException("a console command is one line");
        }
        long id = ++sequence;
        String begin = "QF-B:" + id;
        send("echo " + begin + "; " + command + "; echo QF-E:" + id + ":$?\n");
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> output = new ArrayList<>();
        int outputBytes = 0;
        boolean inside = false;
        while (true) {
            String line = readLine(deadline, command);
            if (!inside) {
                inside = line.equals(begin);
                continue;
            }
            Matcher end = END.matcher(line);
            if (end.matches() && end.group(1).equals(Long.toString(id))) {
                return new Result(Integer.parseInt(end.group(2)), String.join("\n", output));
            }
            outputBytes += line.length() + 1;
            if (outputBytes > MAX_OUTPUT_BYTES) {
                throw new SerialConsoleException("output of '" + command + "' exceeds " + MAX_OUTPUT_BYTES + " bytes", null);
            }
            output.add(line);
        }
    }

    private void send(String text) {
        ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        try {
            int spins = 0;
            while (out.hasRemaining()) {
                if (channel.write(out) == 0 && ++spins > 1000) {
                    throw new SerialConsoleException("serial console " + socket + " does not accept input", null);
                }
            }
        } catch (IOException e) {
            throw new SerialConsoleException("write to serial console " + socket + ": " + e.getMessage(), e);
        }
    }

    private String readLine(long deadline, String command) {
        try {
            while (true) {
                String line = takeLine();
                if (line != null) {
                    return line;
                }
                long waitMillis = (deadline - System.nanoTime()) / 1_000_000;
                if (waitMillis <= 0) {
                    throw new SerialConsoleException("'" + command + "' did not finish in time on " + socket, null);
                }
                selector.select(waitMillis);
                selector.selectedKeys().clear();
                buffer.clear();
                int n = channel.read(buffer);
                if (n < 0) {
                    throw new SerialConsoleException("serial console " + socket + " closed", new IOException("EOF"));
                }
                pending.write(buffer.array(), 0, n);
                if (pending.size() > MAX_OUTPUT_BYTES) {
                    throw new SerialConsoleException("a line on " + socket + " exceeds " + MAX_OUTPUT_BYTES + " bytes", null);
                }
            }
        } catch (IOException e) {
            throw new SerialConsoleException("read from serial console " + socket + ": " + e.getMessage(), e);
        }
    }

    private String takeLine() {
        byte[] bytes = pending.toByteArray();
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                String line = new String(bytes, 0, i, StandardCharsets.UTF_8).replace("\r", "");
                pending.reset();
                pending.write(bytes, i + 1, bytes.length - i - 1);
                // a shell prompt may precede a marker on the same line ("/ # QF-B:3")
                int marker = line.indexOf("QF-");
                return marker > 0 && line.substring(0, marker).endsWith("# ") ? line.substring(marker) : line;
            }
        }
        return null;
    }

    @Override
    public void close() {
        try {
            selector.close();
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    static final class SerialConsoleException extends RuntimeException {
        SerialConsoleException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
