package io.qfence.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.app.PackageDocs;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zsh completion the package installs ({@code packaging/deb/zsh-completion} as
 * {@code /usr/share/zsh/vendor-completions/_qfence}) loads in a real zsh and completes qfence's subcommands and
 * options: zsh's {@code compinit} finds it by its {@code #compdef} line, and it runs picocli's bash completion (generated
 * by {@link PackageDocs}, as {@code build-deb} does) through {@code bashcompinit}.
 *
 * <p>The file is used as packaged, unchanged: it sources {@code /usr/share/bash-completion/completions/qfence}, so zsh
 * runs in a private mount namespace where that directory is a bind mount of the test's own. A completion widget needs
 * an interactive line editor; here zsh calls the function {@code compinit} registered for {@code qfence} with the
 * words typed so far ({@code words}, {@code CURRENT}, as the completion system sets them), and {@code compadd}, the
 * builtin that would offer the matches, is replaced by a function that prints them. The real compadd keeps those that
 * start with the word typed ({@link #matching}).
 */
@RequiresHost(tools = {"zsh", "bash", "unshare", "mount"})
class ZshCompletionTest {

    static final Path ZSH_COMPLETION = Path.of("packaging/deb/zsh-completion");
    static final Path BASH_COMPLETIONS = Path.of("/usr/share/bash-completion/completions");

    @TempDir
    Path tmp;

    Path vendorCompletions;
    Path bashCompletions;

    @BeforeEach
    void installAsThePackageDoes() throws IOException {
        Path docs = tmp.resolve("docs");
        PackageDocs.main(new String[] {docs.toString(), "2026-12-08"});
        bashCompletions = Files.createDirectories(tmp.resolve("bash-completion"));
        List<String> bash = Files.readAllLines(docs.resolve("completion/qfence"));
        // build-deb drops the #! line: the script is sourced, never run
        Files.write(bashCompletions.resolve("qfence"), bash.get(0).startsWith("#!") ? bash.subList(1, bash.size()) : bash);
        vendorCompletions = Files.createDirectories(tmp.resolve("vendor-completions"));
        Files.copy(ZSH_COMPLETION, vendorCompletions.resolve("_qfence"));
    }

    @Test
    void zshFindsTheCompletionAndCompletesASubcommand() throws IOException {
        List<String> offered = complete("qfence", "rec");

        assertThat(offered).first().isEqualTo("registered: _qfence");
        // the candidates are the subcommands; compadd keeps those that start with what was typed
        assertThat(matching(offered, "rec")).containsExactly("reconcile");
        assertThat(matching(offered, "s")).containsExactly("state", "status", "suspend", "ssh", "ssh-config");
    }

    @Test
    void zshCompletesTheOptionsOfASubcommandAfterIt() throws IOException {
        List<String> offered = complete("qfence", "reconcile", "--forge");

        assertThat(matching(offered, "--forge")).containsExactly("--forge", "--forge-url", "--forge-repo",
                "--forge-token-file", "--forge-target-url");
        assertThat(offered).as("reconcile's options, not the subcommands").doesNotContain("offered: apply");
    }

    /** The script zsh runs is bash's own: bash, given the same words, completes the same subcommand. */
    @Test
    void bashCompletesTheSameSubcommandFromThePackagedScript() {
        Witness.Result r = Witness.tryRun("bash", "-c", "source \"$1\" && COMP_WORDS=(qfence rec) && COMP_CWORD=1 "
                + "&& _complete_qfence && printf '%s\\n' \"${COMPREPLY[@]}\"", "bash",
                bashCompletions.resolve("qfence").toString());

        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout().lines()).containsExactly("reconcile");
    }

    /** The offered words that start with {@code prefix}: what zsh's compadd keeps of them for that typed word. */
    private static List<String> matching(List<String> offered, String prefix) {
        return offered.stream().filter(l -> l.startsWith("offered: ")).map(l -> l.substring(9))
                .filter(w -> w.startsWith(prefix)).toList();
    }

    /** What zsh offers for the last of {@code words}, each line {@code offered: WORD}, after {@code registered: FN}. */
    private List<String> complete(String... words) throws IOException {
        StringBuilder typed = new StringBuilder();
        for (String w : words) {
            typed.append(" '").append(w).append("'");
        }
        Path script = tmp.resolve("complete.zsh");
        Files.writeString(script, """
                fpath=(%s $fpath)
                autoload -U compinit && compinit -u -D
                print -r -- "registered: ${_comps[qfence]}"
                compadd() {
                  local after=0 a
                  for a in "$@"; do
                    if (( after )); then print -r -- "offered: $a"; elif [[ $a == - || $a == -- ]]; then after=1; fi
                  done
                }
                words=(%s)
                CURRENT=${#words}
                "${_comps[qfence]}"
                """.formatted(vendorCompletions, typed));
        Witness.Result r = Witness.tryRun("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$1\" \"$2\" && exec zsh -f \"$3\"", "sh", bashCompletions.toString(),
                BASH_COMPLETIONS.toString(), script.toString());
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isZero();
        return r.stdout().lines().toList();
    }
}
