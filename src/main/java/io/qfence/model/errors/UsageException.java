package io.qfence.model.errors;

/**
 * The command was called wrongly in a way the option parser cannot see: a repository that does not exist, a
 * revision that does not resolve, a directory that is missing. The message is printed as is, so it must say what to
 * do instead.
 */
public final class UsageException extends QfenceException {

    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
