package io.qfence.model.errors;

/**
 * The root of every failure qfence reports to its user. The hierarchy is sealed so that the CLI's one exit-code
 * mapping ({@code io.qfence.cli.ExitCodes}) is exhaustive: a new kind of failure is added here as a new final
 * subclass (later issues add e.g. {@code HostOperationException}, {@code StalePlanException},
 * {@code LockHeldException}), and its exit code is decided in that mapping (a test fails until it is).
 *
 * <p>Unchecked, because these failures cross layers (source, engine, cli) that have nothing useful to do with them
 * except let them reach the CLI.
 */
public abstract sealed class QfenceException extends RuntimeException permits InvalidInputException, UsageException,
        LockHeldException, StalePlanException, HostOperationException, HostPortException {

    protected QfenceException(String message) {
        super(message);
    }

    protected QfenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
