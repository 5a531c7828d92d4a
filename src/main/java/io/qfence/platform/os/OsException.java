package io.qfence.platform.os;

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
}
