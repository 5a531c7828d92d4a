package io.qfence.cli;

import io.qfence.plan.ssh.SshConfig;
import io.qfence.plan.ssh.SshRoutes;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "ssh",
        mixinStandardHelpOptions = true,
        description = {"Open an SSH session to a VM (or run COMMAND there) through its group's bastion.",
            "Runs OpenSSH with the configuration ssh-config prints for this VM (ProxyJump: the host's exposed port, the bastion, port 22 of the VM). Refuses, with the reason, a VM the desired state gives no way in: no exposed bastion, a stopped or user-mode VM, or a policy that does not let the bastion reach it on TCP 22 (bastion.sshToGroup).",
            "Exits with ssh's exit code; 1 when refused."})
final class SshCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DesiredStateOptions source;

    @Mixin
    SshOptions ssh;

    @Option(names = "--ssh", paramLabel = "PATH", defaultValue = "ssh", description = "The OpenSSH client to run (default: ${DEFAULT-VALUE}).")
    String sshBinary;

    @Option(names = "--print", description = "Print the ssh command line and its configuration instead of running it.")
    boolean print;

    @Parameters(index = "0", paramLabel = "VM", description = "The VM to reach.")
    String vm;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "A command to run on the VM (after --); default: a login shell.")
    List<String> command = new ArrayList<>();

    private final CliContext context;

    SshCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        SshConfig.ClientSettings options = ssh.toOptions();
        PrintWriter err = spec.commandLine().getErr();
        SshOptions.Loaded loaded = SshOptions.load(source, context, err);
        SshRoutes.Answer result = SshRoutes.route(loaded.state(), loaded.flows(), vm);
        if (result instanceof SshRoutes.NoWayIn refused) {
            err.println("qfence: error: no way in to " + refused.vm() + ": " + refused.reason());
            err.flush();
            return ExitCodes.ERROR;
        }
        SshRoutes.Route route = (SshRoutes.Route) result;
        String config = SshConfig.render(loaded.state().revision(), List.of(route), options);
        if (print) {
            PrintWriter out = spec.commandLine().getOut();
            out.println(String.join(" ", argv(Path.of("CONFIG"), route)));
            out.println("# CONFIG:");
            out.print(config);
            out.flush();
            return ExitCodes.OK;
        }
        // The configuration is written for this one run (the jump's ssh gets it through -F too) and removed after.
        Path file = Files.createTempFile("qfence-ssh-", ".conf", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(file, config, StandardCharsets.UTF_8);
            err.println("qfence ssh: " + route.vm() + " (" + (route.direct() ? "the bastion" : route.address()) + ") through "
                    + route.host() + ":" + route.hostPort() + (route.direct() ? "" : " and bastion " + route.bastion()));
            err.flush();
            Process p = new ProcessBuilder(argv(file, route)).inheritIO().start();
            return p.waitFor();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private List<String> argv(Path config, SshRoutes.Route route) {
        List<String> argv = new ArrayList<>(List.of(sshBinary, "-F", config.toString(), route.vm()));
        if (!command.isEmpty()) {
            argv.add("--");
            argv.addAll(command);
        }
        return argv;
    }
}
