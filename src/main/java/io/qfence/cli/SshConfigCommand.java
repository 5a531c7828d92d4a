package io.qfence.cli;

import io.qfence.plan.ssh.SshConfig;
import io.qfence.plan.ssh.SshRoutes;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "ssh-config",
        mixinStandardHelpOptions = true,
        description = {"Print an OpenSSH client configuration that reaches every VM through its group's bastion.",
            "One Host block per exposed bastion (the host's address and exposed port) and one per VM behind it (ProxyJump through the bastion to port 22 of the VM), computed from the desired state and its realized policy; VMs without a way in are listed with the reason. Include the file from your ssh configuration (an Include line in ~/.ssh/config).",
            "Changes nothing; needs no root."})
final class SshConfigCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DesiredStateOptions source;

    @Mixin
    SshOptions ssh;

    private final CliContext context;

    SshConfigCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        SshConfig.ClientSettings options = ssh.toOptions();
        PrintWriter err = spec.commandLine().getErr();
        SshOptions.Loaded loaded = SshOptions.load(source, context, err);
        err.flush();
        PrintWriter out = spec.commandLine().getOut();
        out.print(SshConfig.render(loaded.state().revision(), SshRoutes.all(loaded.state(), loaded.flows()), options));
        out.flush();
        return ExitCodes.OK;
    }
}
