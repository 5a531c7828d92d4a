package io.qfence.cli;

import io.qfence.model.ControlCharacters;
import io.qfence.model.Diagnostic;
import io.qfence.model.errors.HostOperationException;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.InvalidInputException;
import io.qfence.model.errors.LockHeldException;
import io.qfence.model.errors.QfenceException;
import io.qfence.model.errors.StalePlanException;
import io.qfence.model.errors.UsageException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;

/**
 * The one place where outcomes become exit codes, for every command:
 *
 * <ul>
 *   <li>{@link #OK} 0: success; for {@code plan}, no changes;
 *   <li>{@link #ERROR} 1: any error, including invalid input and wrong usage;
 *   <li>{@link #CHANGES} 2: {@code plan} found changes to make;
 *   <li>{@link #WIDENED} 3: {@code diff --fail-on-widen} found a change that widens access.
 * </ul>
 *
 * picocli's own default for usage errors is 2, which would read as "plan has changes" to a CI script; it is mapped to
 * 1 here.
 */
public final class ExitCodes {

    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int CHANGES = 2;
    public static final int WIDENED = 3;

    private ExitCodes() {}

    /**
     * The exit code of each kind of failure. Every permitted subclass of the sealed {@link QfenceException} must be
     * here; {@code ExitCodesTest} checks that against {@link Class#getPermittedSubclasses()}, so a new sibling cannot
     * be added without deciding its code.
     */
    static final Map<Class<? extends QfenceException>, Integer> BY_FAILURE = Map.of(
            InvalidInputException.class, ERROR,
            UsageException.class, ERROR,
            LockHeldException.class, ERROR,
            StalePlanException.class, ERROR,
            HostOperationException.class, ERROR,
            HostPortException.class, ERROR);

    /** The exit code of a failure. */
    public static int of(QfenceException e) {
        Integer code = BY_FAILURE.get(e.getClass());
        if (code == null) {
            throw new IllegalStateException("no exit code decided for " + e.getClass().getName());
        }
        return code;
    }

    /**
     * The line a failure prints (before any diagnostics), control characters escaped: a message may quote a path or
     * revision from the command line or the desired state, or what the kernel or QEMU answered. A host port's failure
     * says which part of the host failed ({@code qfence: error: links: link qfb-web: create bridge qfb-web: File
     * exists (EEXIST, errno 17)}); the others are their own message.
     */
    public static String message(QfenceException e) {
        String text = e instanceof HostPortException port ? port.port().label() + ": " + port.getMessage() : e.getMessage();
        return "qfence: error: " + ControlCharacters.escape(String.valueOf(text));
    }

    /** Installs the handlers that print failures (never a stack trace for expected ones) and map them. */
    static CommandLine install(CommandLine commandLine) {
        commandLine.setExitCodeExceptionMapper(e -> e instanceof QfenceException q ? of(q) : ERROR);
        commandLine.setExecutionExceptionHandler((e, cl, parseResult) -> {
            PrintWriter err = cl.getErr();
            if (e instanceof InvalidInputException invalid) {
                for (Diagnostic d : invalid.diagnostics()) {
                    err.println(d);
                }
            } else if (e instanceof QfenceException q) {
                err.println(message(q));
            } else {
                // not a failure qfence knows: a bug, shown as one (the ports translate every failure of the host)
                err.println("qfence: internal error: " + ControlCharacters.escape(String.valueOf(e)));
                e.printStackTrace(err);
            }
            err.flush();
            return e instanceof QfenceException q ? of(q) : ERROR;
        });
        commandLine.setParameterExceptionHandler((e, args) -> {
            CommandLine cl = e.getCommandLine();
            PrintWriter err = cl.getErr();
            err.println("qfence: " + ControlCharacters.escape(String.valueOf(e.getMessage())));
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
            err.flush();
            return ERROR;
        });
        return commandLine;
    }
}
