package io.qfence.host;

/**
 * Where long work reports what it is doing, one line per step, so that users see progress on long applies and the
 * journal can record it. Implementations must be thread-safe: guests start in parallel.
 */
@FunctionalInterface
public interface Progress {

    /** {@code address} is the host object the step belongs to, e.g. {@code group.web/vm.web-01}. */
    void step(String address, String message);

    Progress SILENT = (address, message) -> { };
}
