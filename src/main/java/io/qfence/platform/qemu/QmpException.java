package io.qfence.platform.qemu;

/**
 * A failure talking to a QEMU monitor. The closed set: the monitor did not answer in time, it sent something that is
 * not QMP (or too much of it), the connection failed or closed, or QEMU answered a command with an error.
 */
sealed class QmpException extends RuntimeException
        permits QmpException.Timeout, QmpException.ProtocolError, QmpException.Connection, QmpException.CommandFailed {

    QmpException(String message, Throwable cause) {
        super(message, cause);
    }

    static final class Timeout extends QmpException {
        Timeout(String message) {
            super(message, null);
        }
    }

    /** Malformed, oversized or unexpected data: the connection is closed, nothing of it is trusted. */
    static final class ProtocolError extends QmpException {
        ProtocolError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static final class Connection extends QmpException {
        Connection(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** QEMU's {@code {"error": {"class": ..., "desc": ...}}} answer. */
    static final class CommandFailed extends QmpException {
        private final String errorClass;

        CommandFailed(String command, String errorClass, String description) {
            super(command + " failed: " + errorClass + ": " + description, null);
            this.errorClass = errorClass;
        }

        public String errorClass() {
            return errorClass;
        }
    }
}
