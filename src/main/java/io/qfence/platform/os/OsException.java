package io.qfence.platform.os;

import io.qfence.model.errors.HostPortException;

/** A failed system call: the operation as qfence names it, and the kernel's errno. */
public final class OsException extends RuntimeException {

    private final String operation;
    private final int errno;
    private final String description;

    public OsException(String operation, int errno, String description) {
        super(operation + ": " + description + " (errno " + errno + ")");
        this.operation = operation;
        this.errno = errno;
        this.description = description;
    }

    /** The kernel's words for the errno ({@code strerror}), or qfence's for a failure without one. */
    public String description() {
        return description;
    }

    public String operation() {
        return operation;
    }

    public int errno() {
        return errno;
    }

    /**
     * This failure in the ports' vocabulary, for the adapter whose port made the call: the adapters built on this
     * boundary translate it at their edge, so that it never crosses a port.
     *
     * @param object what the call was about, e.g. {@code link qfb-web}, {@code vm web-01}
     */
    public HostPortException toPortError(HostPortException.Port port, String object) {
        HostPortException.FailureReason reason = errno > 0
                ? new HostPortException.Errno(errno, description + " (errno " + errno + ")")
                : new HostPortException.Refusal(description);
        return new HostPortException(port, operation, object, reason, this);
    }
}
