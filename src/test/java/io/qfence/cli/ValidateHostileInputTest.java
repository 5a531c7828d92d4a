package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, family 2, through the real CLI: entries named {@code *.yaml} that are not regular files are each named
 * as what they are, {@code --dir} on a file says it is not a directory, and a diagnostic about a name that holds
 * ESC, CR, NUL and U+202E prints those characters escaped in text and exactly (JSON-escaped) in JSON.
 */
class ValidateHostileInputTest {

    private static Path base(Path tmp) throws IOException {
        return InvalidCorpusTest.copyTree(InvalidCorpusTest.BASE, tmp.resolve("desired-state"));
    }

    private static String firstLine(CliRun run) {
        return run.out().lines().findFirst().orElse("");
    }

    @Test
    void aDirectoryNamedLikeAGroupFileIsRefusedAsADirectory(@TempDir Path tmp) throws IOException {
        Path dir = base(tmp);
        Files.createDirectory(dir.resolve("groups/gamma.yaml"));

        CliRun run = CliRun.of("validate", "--dir", dir.toString());

        assertThat(firstLine(run)).isEqualTo("groups/gamma.yaml:1:1: is a directory, not a regular file; "
                + "desired-state files are regular files named *.yaml");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void aFifoIsRefusedAsAFifoWithoutBeingOpened(@TempDir Path tmp) throws Exception {
        Path dir = base(tmp);
        Path fifo = dir.resolve("groups/gamma.yaml");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo is needed to make a FIFO");

        // A reader that opened the FIFO would block here for ever; the test would time out instead of failing.
        CliRun run = CliRun.of("validate", "--dir", dir.toString());

        assertThat(firstLine(run)).isEqualTo("groups/gamma.yaml:1:1: is a FIFO (named pipe), not a regular file; "
                + "desired-state files are regular files named *.yaml");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void aSocketIsRefusedAsASocket(@TempDir Path tmp) throws IOException {
        Path dir = base(tmp);
        try (ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            socket.bind(UnixDomainSocketAddress.of(dir.resolve("hosts/hv2.yaml")));

            CliRun run = CliRun.of("validate", "--dir", dir.toString());

            assertThat(firstLine(run)).isEqualTo("hosts/hv2.yaml:1:1: is a socket, not a regular file; "
                    + "desired-state files are regular files named *.yaml");
            assertThat(run.exitCode()).isEqualTo(1);
        }
    }

    @Test
    void aCharacterDeviceIsRefusedAsACharacterDevice(@TempDir Path tmp) throws Exception {
        Path dir = base(tmp);
        Path device = dir.resolve("groups/gamma.yaml");
        // the same device numbers as /dev/null: 1, 3
        Process mknod = new ProcessBuilder("mknod", device.toString(), "c", "1", "3").redirectErrorStream(true).start();
        Assumptions.assumeTrue(mknod.waitFor() == 0, "mknod needs root (CAP_MKNOD)");

        CliRun run = CliRun.of("validate", "--dir", dir.toString());

        assertThat(firstLine(run)).isEqualTo("groups/gamma.yaml:1:1: is a character device, not a regular file; "
                + "desired-state files are regular files named *.yaml");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void aSymbolicLinkKeepsItsOwnMessageEvenWhenItPointsAtADirectory(@TempDir Path tmp) throws IOException {
        Path dir = base(tmp);
        Files.createDirectory(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(dir.resolve("groups/gamma.yaml"), tmp.resolve("elsewhere"));

        CliRun run = CliRun.of("validate", "--dir", dir.toString());

        assertThat(firstLine(run)).isEqualTo("groups/gamma.yaml:1:1: not a regular file; desired-state files cannot be symbolic links");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void aGroupsEntryThatIsAFileIsNotADirectoryRatherThanMissing(@TempDir Path tmp) throws IOException {
        Path dir = base(tmp);
        try (var files = Files.list(dir.resolve("groups"))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir.resolve("groups"));
        Files.writeString(dir.resolve("groups"), "alpha\n");

        CliRun run = CliRun.of("validate", "--dir", dir.toString());

        assertThat(firstLine(run)).isEqualTo("groups/: not a directory; a desired state holds hosts/*.yaml and groups/*.yaml");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void dirNamingAFileSaysItIsNotADirectory(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n");

        CliRun run = CliRun.of("validate", "--dir", file.toString());

        assertThat(run.err()).isEqualTo("qfence: error: desired-state directory '" + file + "' is not a directory; --dir PATH names the directory that holds hosts/ and groups/\n");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void aUsageErrorQuotingAPathWithControlCharactersPrintsThemEscaped(@TempDir Path tmp) {
        CliRun run = CliRun.of("validate", "--dir", tmp.resolve("x\u001b[2K\rvalid").toString());

        assertThat(run.err()).contains("x\\u001b[2K\\u000dvalid' does not exist").doesNotContain("\u001b", "\r");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void dirNamingNothingStillSaysItDoesNotExist(@TempDir Path tmp) {
        CliRun run = CliRun.of("validate", "--dir", tmp.resolve("nothing").toString());

        assertThat(run.err()).contains("does not exist");
        assertThat(run.exitCode()).isEqualTo(1);
    }

    /** The terminal attack: ESC [1A and CR would move up and rewrite the line; NUL and U+202E hide or reverse text. */
    static final String HOSTILE_NAME = "alpha\u001b[1A\r\u0000valid\u202eppa";

    @Test
    void aNameWithEscCrNulAndABidiOverrideIsPrintedEscapedInText(@TempDir Path tmp) throws IOException {
        Path dir = hostileName(tmp);

        CliRun run = CliRun.of("validate", "--dir", dir.toString());

        assertThat(run.out()).isEqualTo("groups/alpha.yaml:26:13: name: must be a DNS label (lower-case letters, digits and '-', "
                + "starting and ending with a letter or digit), got 'alpha\\u001b[1A\\u000d\\u0000valid\\u202eppa'\n"
                + "invalid: 1 error\n");
        assertThat(run.out().codePoints().filter(c -> c < 0x20 && c != '\n' || c == 0x202e)).isEmpty();
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void planPrintsTheSameDiagnosticEscapedOnStandardError(@TempDir Path tmp) throws IOException {
        Path dir = hostileName(tmp);

        CliRun run = CliRun.of("plan", "--empty", "--dir", dir.toString());

        assertThat(run.err()).contains("got 'alpha\\u001b[1A\\u000d\\u0000valid\\u202eppa'");
        assertThat(run.err().codePoints().filter(c -> c < 0x20 && c != '\n' || c == 0x202e)).isEmpty();
        assertThat(run.exitCode()).isEqualTo(1);
    }

    @Test
    void jsonCarriesTheExactNameJsonEscaped(@TempDir Path tmp) throws IOException {
        Path dir = hostileName(tmp);

        CliRun run = CliRun.of("validate", "--dir", dir.toString(), "--format", "json");

        assertThat(run.out()).doesNotContain("\u001b", "\r", "\u0000", "\u202e");
        assertThat(run.out()).contains("valid\\u202eppa");
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.path("diagnostics").get(0).path("message").asText()).endsWith("got '" + HOSTILE_NAME + "'");
    }

    private static Path hostileName(Path tmp) throws IOException {
        Path dir = base(tmp);
        Path alpha = dir.resolve("groups/alpha.yaml");
        String yaml = Files.readString(alpha, StandardCharsets.UTF_8)
                .replace("- name: alpha-app", "- name: \"alpha\\e[1A\\r\\0valid\\u202Eppa\"");
        Files.writeString(alpha, yaml, StandardCharsets.UTF_8);
        return dir;
    }
}
