package io.qfence.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The root command. Each subcommand is a thin class; shared options are mixins ({@link DesiredStateOptions}). */
@Command(name = "qfence",
        mixinStandardHelpOptions = true,
        version = "qfence " + QfenceCommand.VERSION,
        description = {
            "Keeps groups of QEMU virtual machines isolated from each other and from their host, driven declaratively from a desired state in Git.",
            ""},
        subcommands = {ValidateCommand.class, PlanCommand.class, ApplyCommand.class, StateCommand.class, DiffCommand.class, ExplainCommand.class, GraphCommand.class,
            ReconcileCommand.class, StatusCommand.class, SuspendCommand.class, ResumeCommand.class, ApproveCommand.class,
            VerifyCommand.class, DemoCommand.class, SshCommand.class, SshConfigCommand.class, AutoComplete.GenerateCompletion.class},
        footer = {"", "Exit codes: 0 ok (no changes), 1 error, 2 plan has changes, 3 diff found widened access."})
public final class QfenceCommand implements Callable<Integer> {

    public static final String VERSION = "0.1.0-SNAPSHOT";

    @Spec
    CommandSpec spec;

    /** Host options given before the command ({@code qfence --netns qf-demo apply}); the command's own win. */
    @Mixin
    HostOptions hostOptions;

    /** {@code qfence} alone prints its usage and fails: a script that forgot its command should not pass. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.ERROR;
    }
}
