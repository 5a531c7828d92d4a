package io.qfence.platform.qemu;

/** A guest that could not be started, or that started but failed a check and was killed before it ran. */
final class GuestLaunchException extends RuntimeException {
    public GuestLaunchException(String message) {
        super(message);
    }

    public GuestLaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
