package io.qfence.platform.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.BootStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A guest is ready when its console shows cloud-init's final message in qfence's exact one-line form; the console is
 * the guest's untrusted output, so everything that is not exactly that line is ignored, and reading is bounded.
 */
class ConsoleReadinessTest {

    private static final String BOOT = "[    0.000000] Linux version 6.1.0-41-cloud-amd64\n"
            + "[  OK  ] Started ssh.service - OpenBSD Secure Shell server.\n"
            + "Cloud-init v. 22.4.2 running 'modules:final' at Mon, 07 Dec 2026 18:40:01 +0000. Up 41.20 seconds.\n";

    @TempDir
    Path run;

    private static BootStatus parse(String console, Optional<String> expected) throws IOException {
        return ConsoleReadiness.parse(new ByteArrayInputStream(console.getBytes(StandardCharsets.UTF_8)), expected,
                ConsoleReadiness.MAX_READ_BYTES);
    }

    @Test
    void theFinalMessageLineMakesTheGuestReadyWithItsInstanceAndBootTime() throws IOException {
        BootStatus status = parse(BOOT + "qfence-ready instance-id=web-app-1-3f2a boot-seconds=43.87\r\ndebian login: ", Optional.empty());

        assertThat(status).isEqualTo(new BootStatus.Finished(Optional.of("web-app-1-3f2a"), new BigDecimal("43.87")));
    }

    @Test
    void theLineAsJournaldForwardsItToTheConsoleCounts() throws IOException {
        BootStatus status = parse(BOOT + "[   81.400277] cloud-init[402]: qfence-ready instance-id=i-7 boot-seconds=81.12\r\n", Optional.empty());

        assertThat(status).isEqualTo(new BootStatus.Finished(Optional.of("i-7"), new BigDecimal("81.12")));
    }

    @Test
    void anotherProgramsLineOrAMangledPrefixDoesNotCount() throws IOException {
        String console = "[   81.400277] evil[402]: qfence-ready instance-id=i-7 boot-seconds=81.12\n"
                + "[81.4] cloud-init[402]: qfence-ready instance-id=i-7 boot-seconds=81.12\n"
                + "[   81.400277] cloud-init[402]:qfence-ready instance-id=i-7 boot-seconds=81.12\n";

        assertThat(parse(console, Optional.empty())).isEqualTo(new BootStatus.Booting());
    }

    @Test
    void theImagesDefaultLineNamesNoInstanceAndIsReadyOnlyWhenNoneIsExpected() throws IOException {
        String console = BOOT + "[  225.992011] cloud-init[376]: qfence-ready boot-seconds=225.90\n";

        assertThat(parse(console, Optional.empty())).isEqualTo(new BootStatus.Finished(Optional.empty(), new BigDecimal("225.90")));
        assertThat(parse(console, Optional.of("i-1"))).isEqualTo(new BootStatus.OtherInstance(Optional.empty(), "i-1"));
    }

    @Test
    void theSeedGeneratorsDoneLineCountsForItsInstanceWithoutABootTime() throws IOException {
        String console = BOOT + "[  301.100000] cloud-init[377]: QF-CLOUD-INIT-DONE qf-0123456789abcdef\n";

        assertThat(parse(console, Optional.of("qf-0123456789abcdef")))
                .isEqualTo(new BootStatus.Finished(Optional.of("qf-0123456789abcdef"), Optional.empty()));
        assertThat(parse(console, Optional.of("qf-fedcba9876543210")))
                .isEqualTo(new BootStatus.OtherInstance(Optional.of("qf-0123456789abcdef"), "qf-fedcba9876543210"));
        assertThat(parse("QF-CLOUD-INIT-DONE qf-0123\nQF-CLOUD-INIT-DONE qf-0123456789ABCDEF\n", Optional.empty()))
                .isEqualTo(new BootStatus.Booting());
    }

    @Test
    void aConsoleWithoutTheLineIsStillBooting() throws IOException {
        assertThat(parse(BOOT, Optional.empty())).isEqualTo(new BootStatus.Booting());
        assertThat(parse("", Optional.empty())).isEqualTo(new BootStatus.Booting());
    }

    @Test
    void theMarkerInsideOtherTextDoesNotCount() throws IOException {
        String console = "echo qfence-ready instance-id=x boot-seconds=1\n"
                + "qfence-ready instance-id=x boot-seconds=1 and more\n"
                + " qfence-ready instance-id=x boot-seconds=1\n"
                + "qfence-ready instance-id=x boot-seconds=1"; // no newline: not a whole line yet

        assertThat(parse(console, Optional.empty())).isEqualTo(new BootStatus.Booting());
    }

    @Test
    void anInstanceIdWithTerminalControlsOrTooLongIsRefused() throws IOException {
        String escape = "qfence-ready instance-id=a\u001b[2Jb boot-seconds=1\n";
        String tooLong = "qfence-ready instance-id=" + "a".repeat(129) + " boot-seconds=1\n";
        String nonAscii = "qfence-ready instance-id=caf\u00e9 boot-seconds=1\n";

        assertThat(parse(escape + tooLong + nonAscii, Optional.empty())).isEqualTo(new BootStatus.Booting());
    }

    @Test
    void anOverlongLineIsSkippedWholeEvenWhenItEndsInTheMarker() throws IOException {
        String console = "x".repeat(ConsoleReadiness.MAX_LINE_BYTES) + "qfence-ready instance-id=x boot-seconds=1\n";

        assertThat(parse(console, Optional.empty())).isEqualTo(new BootStatus.Booting());
    }

    @Test
    void onlyTheFirstBytesUpToTheCapAreRead() throws IOException {
        String flood = "y".repeat(1000) + "\n";
        String console = flood + "qfence-ready instance-id=x boot-seconds=1\n";
        BootStatus capped = ConsoleReadiness.parse(new ByteArrayInputStream(console.getBytes(StandardCharsets.US_ASCII)),
                Optional.empty(), flood.length());

        assertThat(capped).isEqualTo(new BootStatus.Booting());
    }

    @Test
    void theLastReadyLineWinsAfterARebootInPlace() throws IOException {
        String console = "qfence-ready instance-id=old boot-seconds=40.1\n" + BOOT + "qfence-ready instance-id=new boot-seconds=38.2\n";

        assertThat(parse(console, Optional.empty())).isEqualTo(new BootStatus.Finished(Optional.of("new"), new BigDecimal("38.2")));
    }

    @Test
    void aLineForAnotherInstanceThanTheSeedsIsNotReady() throws IOException {
        String console = "qfence-ready instance-id=web-app-1-old boot-seconds=40.1\n";

        assertThat(parse(console, Optional.of("web-app-1-new")))
                .isEqualTo(new BootStatus.OtherInstance(Optional.of("web-app-1-old"), "web-app-1-new"));
        assertThat(parse(console + "qfence-ready instance-id=web-app-1-new boot-seconds=39\n", Optional.of("web-app-1-new")))
                .isEqualTo(new BootStatus.Finished(Optional.of("web-app-1-new"), new BigDecimal("39")));
    }

    @Test
    void aMissingLogOrALinkInItsPlaceIsUnknownAndNeverFollowed() throws IOException {
        assertThat(ConsoleReadiness.read(run.resolve("serial.log"), Optional.empty())).isInstanceOf(BootStatus.Unknown.class);

        Path elsewhere = Files.writeString(run.resolve("elsewhere"), "qfence-ready instance-id=x boot-seconds=1\n");
        Files.createSymbolicLink(run.resolve("serial.log"), elsewhere);
        assertThat(ConsoleReadiness.read(run.resolve("serial.log"), Optional.empty()))
                .isEqualTo(new BootStatus.Unknown("no console log"));
    }

    @Test
    void aRegularLogIsReadFromTheFile() throws IOException {
        Files.writeString(run.resolve("serial.log"), BOOT + "qfence-ready instance-id=i-1 boot-seconds=7\n");

        assertThat(ConsoleReadiness.read(run.resolve("serial.log"), Optional.of("i-1")))
                .isEqualTo(new BootStatus.Finished(Optional.of("i-1"), new BigDecimal("7")));
    }

    @Test
    // an open blocked on a FIFO cannot be interrupted: the test runs in a thread of its own, so that it fails by timing
    // out instead of hanging the suite
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aFifoInPlaceOfTheLogIsNoLogAndReadingItNeverBlocks() throws Exception {
        // the guest's uid owns its run directory and can put a FIFO where QEMU's log was; nobody ever writes to it
        Path fifo = run.resolve("serial.log");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();

        assertThat(ConsoleReadiness.read(fifo, Optional.empty())).isEqualTo(new BootStatus.Unknown("no console log"));
        assertThat(CrashEvidence.tail(fifo, 5)).isEmpty();
    }

    @Test
    void aLogStillBeingWrittenIsReadFromItsFirstByteAndALineCutByAReadCountsOnceWhole() throws IOException {
        // more than one read buffer of boot output before the line: none of it is skipped, and the line is whole
        Path log = run.resolve("serial.log");
        String boot = BOOT.repeat(400);
        Files.writeString(log, boot + "[  52.100000] cloud-init[377]: qfence-rea");
        assertThat(ConsoleReadiness.read(log, Optional.empty())).isEqualTo(new BootStatus.Booting());

        Files.writeString(log, "dy boot-seconds=52.09\n", java.nio.file.StandardOpenOption.APPEND);
        assertThat(ConsoleReadiness.read(log, Optional.empty())).as("the half line read before is whole now")
                .isEqualTo(new BootStatus.Finished(Optional.empty(), new BigDecimal("52.09")));
    }
}
