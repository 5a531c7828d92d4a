package io.qfence.platform.cgroup;

import java.nio.file.Path;

/**
 * A cgroupfs operation that failed: what qfence tried, on which file or directory, and the kernel's errno (0 when the
 * failure is qfence's own finding, e.g. a controller that is not available).
 */
public final class CgroupException extends RuntimeException {

    private final String operation;
    private final Path path;
    private final int errno;

    public CgroupException(String operation, Path path, int errno, String message) {
        super(operation + " " + path + ": " + message + (errno != 0 ? " (errno " + errno + ")" : ""));
        this.operation = operation;
        this.path = path;
        this.errno = errno;
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
