package io.qfence.cli;

import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --state-dir}: where the daemon keeps its journal, Git cache, locks and control files. */
public final class StateDirOptions {

    public static final String DEFAULT = "/var/lib/qfence";

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "qfence's state directory: journal, last applied revision, Git cache, locks, suspension and "
                    + "approvals (default: " + DEFAULT + ").")
    Path stateDir;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /**
     * After the command, before it ({@code qfence --state-dir DIR status}, as for apply and state), or the default.
     * Found in the walkthrough of issue 13: given before the command it was ignored, and status reported on
     * /var/lib/qfence instead.
     */
    public Path stateDir() {
        if (stateDir != null) {
            return stateDir;
        }
        CommandSpec root = command == null ? null : command.root();
        if (root != null && root.userObject() instanceof QfenceCommand q && q.hostOptions != null && q.hostOptions.stateDir != null) {
            return q.hostOptions.stateDir;
        }
        return Path.of(DEFAULT);
    }
}
