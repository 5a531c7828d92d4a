package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.errors.QfenceException;
import io.qfence.model.errors.UsageException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exit codes: 0 ok, 1 error (including every kind of wrong usage), 2 and 3 reserved for plan and diff. */
class ExitCodesTest {

    @Test
    void theCodesAreTheDocumentedOnes() {
        assertThat(List.of(ExitCodes.OK, ExitCodes.ERROR, ExitCodes.CHANGES, ExitCodes.WIDENED)).containsExactly(0, 1, 2, 3);
    }

    @Test
    void everyKindOfFailureHasADecidedExitCode() {
        List<Class<?>> mapped = List.copyOf(ExitCodes.BY_FAILURE.keySet());
        assertThat(mapped).containsExactlyInAnyOrder(QfenceException.class.getPermittedSubclasses());
    }

    @Test
    void everyQfenceExceptionIsAnError() {
        assertThat(ExitCodes.of(new UsageException("x"))).isEqualTo(ExitCodes.ERROR);
        assertThat(ExitCodes.of(new InvalidInputException(List.of()))).isEqualTo(ExitCodes.ERROR);
    }

    @Test
    void aHostPortFailureSaysWhichPartOfTheHostFailedOnWhatDoingWhatAndWhy() {
        HostPortException failure = new HostPortException(HostPortException.Port.LINKS, "create bridge qfb-web", "link qfb-web",
                new HostPortException.Errno(17, "File exists (EEXIST, errno 17)"));

        assertThat(ExitCodes.of(failure)).isEqualTo(ExitCodes.ERROR);
        assertThat(ExitCodes.message(failure))
                .isEqualTo("qfence: error: links: link qfb-web: create bridge qfb-web: File exists (EEXIST, errno 17)");
    }

    @Test
    void whatTheKernelOrQemuSaidIsPrintedWithItsControlCharactersEscaped() {
        HostPortException failure = new HostPortException(HostPortException.Port.GUESTS, "start", "vm web-01",
                new HostPortException.Refusal("QEMU said \u001b[2Jhello"));

        assertThat(ExitCodes.message(failure)).isEqualTo("qfence: error: guests: vm web-01: start: QEMU said \\u001b[2Jhello");
    }

    @Test
    void anUnknownOptionIsAnErrorNotPicocliTwoWhichMeansChanges() {
        CliRun run = CliRun.of("validate", "--dri", "x");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).startsWith("qfence: Unknown options: '--dri', 'x'")
                .endsWith("Try 'qfence validate --help' for more information.\n");
    }

    @Test
    void anUnknownCommandIsAnError() {
        CliRun run = CliRun.of("valdate");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("Unmatched argument at index 0: 'valdate'", "Did you mean: qfence validate");
    }

    @Test
    void noCommandPrintsTheUsageAndFails() {
        CliRun run = CliRun.of();

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("Usage: qfence ");
    }

    @Test
    void aMissingDirectoryIsAUsageErrorWithoutAStackTrace() {
        CliRun run = CliRun.of("validate", "--dir", "/nonexistent/desired-state");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo(
                "qfence: error: desired-state directory '/nonexistent/desired-state' does not exist; --dir PATH names the directory that holds hosts/ and groups/\n");
    }

    @Test
    void aRevisionWithoutARepositoryIsAUsageError() {
        CliRun run = CliRun.of("validate", "--rev", "main");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("qfence: error: --rev needs --repo: a directory has no revisions\n");
    }

    @Test
    void anUnknownFormatIsAnError() {
        CliRun run = CliRun.of("validate", "--format", "yaml");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("Invalid value for option '--format'", "text, json");
    }
}
