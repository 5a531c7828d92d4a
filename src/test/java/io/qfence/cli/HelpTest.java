package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.qfence.testing.Golden;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every command's {@code --help}, exactly (golden files), and two properties of all of them: every description is a
 * valid format string (a stray {@code %} makes picocli print "[picocli WARN] Could not format" on stderr, outside the
 * injected writers), and help wraps only between words, so no word or path is split across lines.
 */
class HelpTest {

    static final Path GOLDEN = Golden.RESOURCES.resolve("golden/cli/help");

    static Stream<String> commands() {
        CommandLine root = Cli.commandLine(new CliContext(CliRun.TODAY));
        return Stream.concat(Stream.of(""), root.getSubcommands().keySet().stream());
    }

    private static String[] helpArgs(String command) {
        return command.isEmpty() ? new String[] {"--help"} : new String[] {command, "--help"};
    }

    @ParameterizedTest(name = "qfence {0} --help")
    @MethodSource("commands")
    void helpIsExactlyTheGoldenText(String command) {
        CliRun run = CliRun.of(helpArgs(command));

        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
        Golden.assertMatches(GOLDEN.resolve((command.isEmpty() ? "qfence" : command) + ".txt"), run.out());
    }

    @ParameterizedTest(name = "qfence {0}: descriptions are valid format strings")
    @MethodSource("commands")
    void everyDescriptionIsAValidFormatString(String command) {
        CommandSpec spec = spec(command);
        List<String> raw = new ArrayList<>(List.of(spec.userObject().getClass().getAnnotation(Command.class).description()));
        for (OptionSpec option : spec.options()) {
            if (option.userObject() instanceof Field field && field.isAnnotationPresent(Option.class)) {
                raw.addAll(List.of(field.getAnnotation(Option.class).description()));
            }
        }
        assertThat(raw).isNotEmpty();
        for (String text : raw) {
            assertThatCode(() -> String.format(text)).as("description %s", text.replace("%", "%%"))
                    .doesNotThrowAnyException();
        }
    }

    @ParameterizedTest(name = "qfence {0} --help wraps between words")
    @MethodSource("commands")
    void helpWrapsOnlyBetweenWords(String command) {
        String out = CliRun.of(helpArgs(command)).out();
        String joined = collapse(out);

        assertThat(out.lines()).allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(100));
        for (String text : descriptions(spec(command))) {
            for (String piece : collapse(text).split("%n")) {
                assertThat(joined).as("help of %s holds the description unbroken", command).contains(piece.strip());
            }
        }
    }

    @ParameterizedTest(name = "qfence {0} --version")
    @MethodSource("commands")
    void everyCommandPrintsTheVersion(String command) {
        CliRun run = CliRun.of(command.isEmpty() ? new String[] {"--version"} : new String[] {command, "--version"});

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("qfence " + QfenceCommand.VERSION + System.lineSeparator());
    }

    @Test
    void helpOfTheRootCommandListsEveryCommand() {
        String out = CliRun.of("--help").out();

        commands().filter(c -> !c.isEmpty()).forEach(c -> assertThat(out).contains("  " + c + " "));
    }

    private static CommandSpec spec(String command) {
        CommandLine root = Cli.commandLine(new CliContext(CliRun.TODAY));
        return command.isEmpty() ? root.getCommandSpec() : root.getSubcommands().get(command).getCommandSpec();
    }

    private static List<String> descriptions(CommandSpec spec) {
        List<String> texts = new ArrayList<>(List.of(spec.usageMessage().description()));
        for (OptionSpec option : spec.options()) {
            texts.addAll(List.of(option.description()));
        }
        return texts;
    }

    /** Line breaks and the indentation after them become one space, as a reader joins wrapped lines. */
    private static String collapse(String text) {
        return text.replaceAll("\\s+", " ");
    }
}
