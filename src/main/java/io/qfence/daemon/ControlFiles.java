package io.qfence.daemon;

import io.qfence.daemon.control.Approval;
import io.qfence.daemon.control.Suspension;
import io.qfence.daemon.git.CommitId;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the control files {@code qfence suspend}, {@code resume} and {@code approve} write in the state directory. */
final class ControlFiles {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

    private final Path stateDir;
    private final Clock clock;

    ControlFiles(Path stateDir, Clock clock) {
        this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The suspension, if any; one that cannot be read counts as a suspension (cannot tell: leave the host alone). */
    Optional<Suspension> suspension() {
        try {
            return Suspension.read(stateDir);
        } catch (IOException e) {
            return Optional.of(new Suspension(clock.instant(), "unknown", Optional.of("cannot read the suspension file: "
                    + e.getMessage())));
        }
    }

    /** The approval of {@code revision}, if any; an unreadable one is logged and counts as none. */
    Optional<Approval> approval(CommitId revision) {
        try {
            return Approval.read(stateDir, revision);
        } catch (IOException e) {
            LOG.atWarn().addKeyValue("revision", revision.hex()).log("unreadable approval: " + e.getMessage());
            return Optional.empty();
        }
    }
}
