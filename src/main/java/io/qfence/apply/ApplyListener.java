package io.qfence.apply;

import io.qfence.model.errors.HostOperationException;
import java.time.Duration;

/**
 * Hears how an apply progresses, step by step: the CLI prints it ({@code [3/28] + group.web/bridge … done (12 ms)}, or
 * JSON lines), the daemon journals it. Guests start in parallel, so implementations must be thread-safe.
 */
public interface ApplyListener {

    /** A step begins. */
    default void started(Step step) {}

    /** Something worth telling while a step runs, e.g. a guest's launch stages. */
    default void message(Step step, String message) {}

    /** A step completed and its post-condition holds. */
    default void finished(Step step, Duration took) {}

    /**
     * A step completed as one of {@code size} steps applied together (links are created and deleted in batches), all of
     * which took {@code took}: the batch's time, not this step's own, which is not measured.
     */
    default void finishedInBatch(Step step, int size, Duration took) {
        finished(step, took);
    }

    /** A step failed; nothing after it runs. */
    default void failed(Step step, Duration took, HostOperationException error) {}

    ApplyListener SILENT = new ApplyListener() { };
}
