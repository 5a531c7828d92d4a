package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The package's manual pages are rendered from the commands: one per command, with what --help says, in valid roff. */
class ManPageTest {

    private final CommandLine qfence = Cli.commandLine(new CliContext(Clock.systemUTC()));
    private final Map<String, String> pages = ManPage.all(qfence, "2026-12-07");

    @Test
    void everyCommandHasAPageNamedAsGitNamesItsOwn() {
        assertThat(pages).containsKeys("qfence.1", "qfence-reconcile.1", "qfence-apply.1", "qfence-status.1");
        assertThat(pages).hasSize(qfence.getSubcommands().size() + 1);
    }

    @Test
    void aPageHasTheHeaderTheSummaryAndEachOptionWithItsDescriptionAndDefault() {
        String page = pages.get("qfence-reconcile.1");
        assertThat(page).startsWith(".\\\" Generated from the picocli commands")
                .contains(".TH \"QFENCE\\-RECONCILE\" 1 \"2026\\-12\\-07\" \"qfence 0.1.0\\-SNAPSHOT\" \"qfence manual\"\n")
                .contains(".SH NAME\nqfence\\-reconcile \\- Run the GitOps daemon: keep this host at the head of a Git branch\n")
                .contains(".TP\n\\fB\\-\\-repo\\fR=\\fIURL|PATH\\fR\nThe desired state's repository")
                .contains(".TP\n\\fB\\-\\-branch\\fR=\\fIBRANCH\\fR\nThe branch to follow (default: main).\n")
                .doesNotContain("${DEFAULT-VALUE}", "${COMPLETION-CANDIDATES}");
        assertThat(pages.get("qfence.1")).contains(".SH COMMANDS\n").contains("See \\fBqfence\\-reconcile\\fR(1).");
    }

    @Test
    void textIsEscapedSoThatRoffReadsItLiterally() {
        assertThat(ManPage.escape("a\\b -x")).isEqualTo("a\\eb \\-x");
        assertThat(ManPage.escape(".SH not a request")).isEqualTo("\\&.SH not a request");
        assertThat(ManPage.escape("'quoted")).isEqualTo("\\&'quoted");
    }
}
