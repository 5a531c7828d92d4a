package io.qfence.app;

import io.qfence.cli.Cli;
import io.qfence.cli.CliContext;
import io.qfence.cli.ManPage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * Writes what the Debian package ships about the commands, from the commands themselves: one manual page per command
 * ({@code man1/qfence.1}, {@code man1/qfence-reconcile.1}, ...) and the bash completion script ({@code
 * completion/qfence}, picocli's {@link AutoComplete}). Run by {@code packaging/deb/build-deb}:
 * {@code java -cp qfence.jar io.qfence.app.PackageDocs OUT_DIR DATE}. DATE goes into the pages' headers, so that
 * the same sources make the same pages (reproducible builds).
 */
public final class PackageDocs {

    private PackageDocs() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: PackageDocs OUT_DIR DATE");
            System.exit(1);
        }
        Path out = Path.of(args[0]);
        CommandLine commandLine = Cli.commandLine(new CliContext(Clock.systemUTC()));
        Path man = Files.createDirectories(out.resolve("man1"));
        for (Map.Entry<String, String> page : ManPage.all(commandLine, args[1]).entrySet()) {
            Files.writeString(man.resolve(page.getKey()), page.getValue(), StandardCharsets.UTF_8);
        }
        Path completion = Files.createDirectories(out.resolve("completion"));
        Files.writeString(completion.resolve("qfence"), AutoComplete.bash("qfence", commandLine), StandardCharsets.UTF_8);
    }
}
