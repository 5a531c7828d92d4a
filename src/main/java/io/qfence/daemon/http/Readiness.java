package io.qfence.daemon.http;

import java.util.Optional;

/** Whether the daemon is ready to serve its purpose: for {@code /readyz}. */
@FunctionalInterface
public interface Readiness {

    /** Empty when ready; otherwise why not, e.g. "no revision applied yet" or "suspended". */
    Optional<String> notReadyBecause();
}
