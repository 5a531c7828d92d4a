package io.qfence.platform.cgroup;

import io.qfence.model.errors.HostPortException;
import java.nio.file.Path;

/**
 * A cgroupfs operation that failed: what qfence tried, on which file or directory, and the kernel's errno (0 when the
 * failure is qfence's own finding, e.g. a controller that is not available).
 */
final class CgroupException extends RuntimeException {

    private final String operation;
    private final Path path;
    private final int errno;
    private final String detail;

    public CgroupException(String operation, Path path, int errno, String message) {
        super(operation + " " + path + ": " + message + (errno != 0 ? " (errno " + errno + ")" : ""));
        this.operation = operation;
        this.path = path;
        this.errno = errno;
        this.detail = message;
    }

    /**
     * This failure in the ports' vocabulary ({@link io.qfence.host.CgroupPort} and {@link io.qfence.host.CgroupProcesses}
     * translate at their edge): the file or directory is the object when the caller names none more precisely.
     */
    HostPortException toPortError(HostPortException.Port port, String object) {
        HostPortException.FailureReason reason = errno > 0
                ? new HostPortException.Errno(errno, detail + " (errno " + errno + ")")
                : new HostPortException.Refusal(detail);
        return new HostPortException(port, operation + " " + path, object, reason, this);
    }

    public String operation() {
        return operation;
    }

    public Path path() {
        return path;
    }

    public int errno() {
        return errno;
    }
}
