package io.qfence.cli;

import io.qfence.daemon.ReconcileCycle;
import io.qfence.host.HostTarget;
import io.qfence.host.Scope;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.errors.UsageException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@code qfence reconcile} gets its reconcile cycle: the composition root supplies one backed by the engine over
 * the live host; tests supply a fake host.
 */
@FunctionalInterface
public interface CycleFactory {

    /**
     * The cycle that reconciles {@code where}. Called once, before the daemon starts: a factory that cannot serve
     * {@code where} (no live host, a scope this build cannot keep) throws a {@link UsageException} that says why.
     */
    ReconcileCycle create(Where where);

    /**
     * What the daemon reconciles, from the command line.
     *
     * @param host      the host's name in the desired state
     * @param stateDir  the daemon's state directory, absolute; also the host's ({@code overrides.stateDir})
     * @param target    which network namespace and cgroup root ({@code --netns}, {@code --cgroup-root})
     * @param overrides {@code --cgroup-parent}, {@code --run-dir}, {@code --images-root}, and the state directory
     * @param scope     {@code --scope} / {@code --no-guests}
     */
    record Where(String host, Path stateDir, HostTarget target, HostOverrides overrides, Scope scope) {
        public Where {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(overrides, "overrides");
            Objects.requireNonNull(scope, "scope");
            if (!overrides.stateDir().equals(Optional.of(stateDir.toString()))) {
                throw new IllegalArgumentException("the host's state directory must be the daemon's (" + stateDir
                        + "), not " + overrides.stateDir().orElse("the desired state's"));
            }
        }
    }

    /** A build without the engine: {@code reconcile} explains and fails. */
    CycleFactory UNAVAILABLE = where -> {
        throw new UsageException("qfence reconcile needs the reconcile engine (io.qfence.engine), which this build "
                + "does not include");
    };
}
