package io.qfence.daemon.git;

import java.nio.file.Path;

/** The local bare cache could not be created, read or written. */
public final class MirrorException extends GitSourceException {

    private final Path repository;

    public MirrorException(Path repository, String message, Throwable cause) {
        super(message + " (git cache " + repository + ")", cause);
        this.repository = repository;
    }

    public Path repository() {
        return repository;
    }
}
