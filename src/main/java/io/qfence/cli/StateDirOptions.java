package io.qfence.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --state-dir}: where the daemon keeps its journal, Git cache, locks and control files. */
public final class StateDirOptions {

    public static final String DEFAULT = "/var/lib/qfence";

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = DEFAULT,
            description = "qfence's state directory: journal, last applied revision, Git cache, locks, suspension and "
                    + "approvals (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    public Path stateDir() {
        return stateDir;
    }
}
