package io.qfence.cli;

import java.lang.reflect.Constructor;
import picocli.CommandLine;

/** Builds the {@code qfence} command line; the composition root and the tests both start here. */
public final class Cli {

    private Cli() {}

    public static CommandLine commandLine(CliContext context) {
        CommandLine commandLine = new CommandLine(new QfenceCommand(), new ContextFactory(context));
        commandLine.setUsageHelpAutoWidth(false);
        commandLine.setUsageHelpWidth(100);
        // every command takes -V/--version (mixinStandardHelpOptions), so every command prints the one version
        String[] version = commandLine.getCommandSpec().version();
        commandLine.getSubcommands().values().forEach(sub -> sub.getCommandSpec().version(version));
        return ExitCodes.install(commandLine);
    }

    /** Commands that take a {@link CliContext} get it; everything else is made the picocli way. */
    private record ContextFactory(CliContext context) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            for (Constructor<?> c : cls.getDeclaredConstructors()) {
                if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == CliContext.class) {
                    c.setAccessible(true);
                    return cls.cast(c.newInstance(context));
                }
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }
}
