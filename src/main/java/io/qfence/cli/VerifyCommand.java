package io.qfence.cli;

import io.qfence.model.desired.DesiredState;
import io.qfence.verify.MatrixRenderer;
import io.qfence.verify.Verifier;
import io.qfence.verify.VerifyOptions;
import io.qfence.verify.VerifyReport;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "verify",
        mixinStandardHelpOptions = true,
        description = {"Prove the isolation of the desired state on a throwaway copy of its host.",
            "Builds a sandbox (private network namespaces, cgroup subtree and directories), realizes the desired state there with a small probe guest in place of every VM (same MAC, address, group, network mode and uid), probes every guest to every other guest, to the host, to its loopback through user-mode networking and to stand-in internet hosts, and outside clients to each bastion exposure, then compares every outcome with the policy's reachability relation. Tears everything down, also when interrupted. Needs root.",
            "Once the guests run, it reads each one's confinement from /proc (uid, groups, capabilities, no_new_privs, seccomp, AppArmor label, namespaces, root, cgroups, open descriptors) and prints it; a guest that lacks a layer its host's settings require fails the run.",
            "Every invariant of policies/ adds the cells it covers (an outside client toward each VM or the host it speaks about, the ports it names) and is reported proven, broken (with the probes that show it) or untested.",
            "Exits 0 only when every cell matches, no invariant is broken and every guest has every layer, 1 otherwise."})
final class VerifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DesiredStateOptions source;

    @Option(names = "--host", paramLabel = "H", description = "The host to verify (default: the desired state's only host).")
    String host;

    @Mixin
    ReportFormatOptions output;

    @Mixin
    ProbeImageOptions images;

    private final CliContext context;

    VerifyCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        DesiredState state = source.loadValid(context.clock(), err);
        String hostName = HostChoice.of(state, host);
        VerifyReport report = run(context, state, hostName, images.resolve(), new ElapsedProgress(err), applied -> { });
        PrintWriter out = spec.commandLine().getOut();
        out.print(switch (output.format()) {
            case text -> MatrixRenderer.text(report, output.renderOptions().colour());
            case json -> MatrixRenderer.json(report);
            case markdown -> MatrixRenderer.markdown(report);
        });
        out.flush();
        return report.passed() ? ExitCodes.OK : ExitCodes.ERROR;
    }

    static VerifyReport run(CliContext context, DesiredState state, String hostName, java.nio.file.Path probeImages, ElapsedProgress progress,
                            java.util.function.Consumer<VerifyOptions.Applied> afterApply) {
        LocalDate today = LocalDate.ofInstant(context.clock().instant(), ZoneOffset.UTC);
        Verifier verifier = new Verifier(context.verification().sandboxes(), context.verification().apply());
        return verifier.verify(state, hostName, VerifyOptions.of(probeImages, today, progress).afterApply(afterApply));
    }
}
