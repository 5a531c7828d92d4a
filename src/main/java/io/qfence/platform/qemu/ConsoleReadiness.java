package io.qfence.platform.qemu;

import io.qfence.model.host.BootStatus;
import io.qfence.platform.os.SecureFiles;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * "Ready means ready": whether cloud-init finished in a guest, read from the guest's serial console log, with no
 * agent in the guest and no port on the host. qfence's guest image ({@code bin/build-guest-image}) sets cloud-init's
 * {@code final_message} to one line, which cloud-init's final stage prints on the console when every module ran:
 * <pre>qfence-ready boot-seconds=N</pre>
 * or, when the seed's user-data sets {@code final_message} with the instance id it was generated with,
 * <pre>qfence-ready instance-id=ID boot-seconds=N</pre>
 * The seed qfence generates (DESIGN §17) sets {@code final_message} to {@code QF-CLOUD-INIT-DONE qf-<16 hex>}
 * instead, which counts the same, without a boot time.
 * which journald, forwarding the unit's output to the console, prefixes with its uptime and {@code cloud-init[PID]: }.
 *
 * <p>The console is untrusted guest output. Parsing is strict and bounded: only a whole line that is exactly that
 * form (with or without journald's prefix) counts (a marker inside other text, e.g. a kernel message that interrupted it, does not); lines longer than
 * {@link #MAX_LINE_BYTES} are skipped whole; at most {@link #MAX_READ_BYTES} of the log are read (a guest that floods
 * its console before it is ready is reported as booting); the instance id is checked against
 * {@link BootStatus#INSTANCE_ID} before it is shown anywhere. QEMU truncates the log when it starts, so a line is from
 * this QEMU process's boots; the last line wins (a guest that rebooted in place reports its latest boot), and when the
 * caller knows the instance id qfence's seed gave the guest, a line for another id, or without one, is {@link BootStatus.OtherInstance}.
 */
public final class ConsoleReadiness {

    public static final int MAX_LINE_BYTES = 256;
    public static final long MAX_READ_BYTES = 8L * 1024 * 1024;
    /**
     * The line, bare or as journald forwards cloud-final.service's output to the console ({@code [   52.123456]
     * cloud-init[412]: }); nothing else may precede or follow it.
     */
    static final String JOURNALD_PREFIX = "(?:\\[ {0,8}[0-9]{1,9}\\.[0-9]{6}\\] cloud-init\\[[0-9]{1,9}\\]: )?";
    static final Pattern READY = Pattern.compile(JOURNALD_PREFIX
            + "qfence-ready(?: instance-id=(" + BootStatus.INSTANCE_ID.pattern() + "))? boot-seconds=([0-9]{1,9}(?:\\.[0-9]{1,9})?)");
    /** The seed generator's own line (DESIGN §17): {@code QF-CLOUD-INIT-DONE qf-<16 hex>}, with no boot time. */
    static final Pattern SEED_DONE = Pattern.compile(JOURNALD_PREFIX + "QF-CLOUD-INIT-DONE (qf-[0-9a-f]{16})");

    private ConsoleReadiness() {}

    /** The boot status the console log at {@code serialLog} shows; {@link BootStatus.Unknown} when there is none. */
    public static BootStatus read(Path serialLog, Optional<String> expectedInstanceId) {
        // The log lies in the guest's run directory, which the guest's uid owns: it may put a link or a FIFO there at
        // any moment. Opened once, never followed and never blocking; anything but a regular file is no log
        // (SecureFiles.openRegularForReading says why checking first and opening after would hang on a FIFO).
        Optional<FileChannel> log;
        try {
            log = SecureFiles.openRegularForReading(serialLog);
        } catch (IOException e) {
            return new BootStatus.Unknown("console log unreadable: " + e.getClass().getSimpleName());
        }
        if (log.isEmpty()) {
            return new BootStatus.Unknown("no console log");
        }
        try (InputStream in = Channels.newInputStream(log.get())) {
            return parse(in, expectedInstanceId, MAX_READ_BYTES);
        } catch (IOException e) {
            return new BootStatus.Unknown("console log unreadable: " + e.getClass().getSimpleName());
        }
    }

    /** The boot status in the first {@code maxBytes} of {@code console}. */
    static BootStatus parse(InputStream console, Optional<String> expectedInstanceId, long maxBytes) throws IOException {
        byte[] line = new byte[MAX_LINE_BYTES];
        int length = 0;
        boolean overlong = false;
        long read = 0;
        BootStatus.Finished last = null;
        BootStatus.Finished lastExpected = null;
        byte[] chunk = new byte[8192];
        int n;
        while (read < maxBytes && (n = console.read(chunk, 0, (int) Math.min(chunk.length, maxBytes - read))) > 0) {
            read += n;
            for (int i = 0; i < n; i++) {
                byte b = chunk[i];
                if (b == '\n') {
                    if (!overlong) {
                        Optional<BootStatus.Finished> ready = readyLine(line, length);
                        if (ready.isPresent()) {
                            last = ready.get();
                            if (expectedInstanceId.isPresent() && expectedInstanceId.equals(last.instanceId())) {
                                lastExpected = last;
                            }
                        }
                    }
                    length = 0;
                    overlong = false;
                } else if (!overlong) {
                    if (length == MAX_LINE_BYTES) {
                        overlong = true;
                    } else {
                        line[length++] = b;
                    }
                }
            }
        }
        if (last == null) {
            return new BootStatus.Booting();
        }
        if (expectedInstanceId.isEmpty()) {
            return last;
        }
        return lastExpected != null ? lastExpected : new BootStatus.OtherInstance(last.instanceId(), expectedInstanceId.get());
    }

    private static Optional<BootStatus.Finished> readyLine(byte[] line, int length) {
        int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        // US-ASCII: any other byte decodes to U+FFFD, which the pattern refuses.
        String text = new String(line, 0, end, StandardCharsets.US_ASCII);
        Matcher m = READY.matcher(text);
        if (m.matches()) {
            return Optional.of(new BootStatus.Finished(Optional.ofNullable(m.group(1)), new BigDecimal(m.group(2))));
        }
        Matcher seed = SEED_DONE.matcher(text);
        if (seed.matches()) {
            return Optional.of(new BootStatus.Finished(Optional.of(seed.group(1)), Optional.empty()));
        }
        return Optional.empty();
    }
}
