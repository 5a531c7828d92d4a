package io.qfence.daemon.trust;

import java.nio.file.Path;

/** The trusted-keys directory cannot be used: missing, empty, or holding a key file that does not parse. */
public final class TrustedKeysException extends Exception {

    private final Path file;

    public TrustedKeysException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
