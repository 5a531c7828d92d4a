package io.qfence.cli;

import io.qfence.daemon.ReconcileCycle;
import io.qfence.model.errors.UsageException;
import java.nio.file.Path;

/**
 * How {@code qfence reconcile} gets its reconcile cycle for a host: the composition root supplies the engine; tests
 * supply a fake host.
 */
@FunctionalInterface
public interface CycleFactory {

    /** The cycle that reconciles {@code host}, keeping its own state under {@code stateDir}. */
    ReconcileCycle create(String host, Path stateDir);

    /** A build without the engine: {@code reconcile} explains and fails. */
    CycleFactory UNAVAILABLE = (host, stateDir) -> {
        throw new UsageException("qfence reconcile needs the reconcile engine (io.qfence.engine), which this build "
                + "does not include yet");
    };
}
