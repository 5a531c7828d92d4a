package io.qfence.platform.qemu;

import io.qfence.platform.os.ExitStatus;
import io.qfence.platform.os.OsException;
import io.qfence.platform.os.PidFd;
import io.qfence.platform.os.ProcessInfo;
import io.qfence.platform.os.Signal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A running QEMU that qfence has checked: started by {@link GuestLauncher} or adopted from its pidfile by
 * {@link GuestPidFiles}. It holds a pidfd, so {@link #stop} and {@link #kill} can only ever reach this process, even
 * if it has exited and its pid was reused.
 *
 * <p>It does not hold a QMP connection: a QEMU monitor serves one client at a time, so each operation connects,
 * works and disconnects ({@link #withQmp}), leaving the monitor free for the next observer.
 */
public final class GuestProcess implements AutoCloseable {

    /** How long each QMP exchange of the stop sequence may take before the next step. */
    public static final Duration QMP_STEP_TIMEOUT = Duration.ofSeconds(2);
    /** How long QEMU may take to exit after {@code quit}, and the kernel after SIGKILL. */
    public static final Duration EXIT_TIMEOUT = Duration.ofSeconds(5);

    private final String vm;
    private final PidFd pidFd;
    private final Path qmpSocket;
    private final Optional<CompletableFuture<ExitStatus>> exit;

    GuestProcess(String vm, PidFd pidFd, Path qmpSocket, Optional<CompletableFuture<ExitStatus>> exit) {
        this.vm = vm;
        this.pidFd = pidFd;
        this.qmpSocket = qmpSocket;
        this.exit = exit;
    }

    public String vm() {
        return vm;
    }

    public long pid() {
        return pidFd.pid();
    }

    public Path qmpSocket() {
        return qmpSocket;
    }

    /**
     * The exit status, known only for a guest this JVM started (it is this JVM's child, reaped here). For an adopted
     * guest, PID 1 reaps it and the status is lost; {@link CrashEvidence} reconstructs the cause instead.
     */
    public Optional<CompletableFuture<ExitStatus>> exitStatus() {
        return exit;
    }

    public boolean hasExited() {
        return pidFd.hasExited();
    }

    public boolean awaitExit(Duration timeout) {
        return pidFd.awaitExit(timeout);
    }

    /** A fresh snapshot of {@code /proc/PID}; empty once the process is gone. */
    public Optional<ProcessInfo> info() {
        return hasExited() ? Optional.empty() : ProcessInfo.read(pid());
    }

    /**
     * Connects to the monitor, runs {@code work}, disconnects. Only a monitor served by this process's uid is
     * talked to (see {@link QmpClient#connect(Path, Duration, long)}): the socket is in a directory the VM's uid owns.
     */
    public <T> T withQmp(Duration timeout, Function<QmpClient, T> work) {
        long uid = info().map(i -> i.uids().get(0))
                .orElseThrow(() -> new QmpException.Connection("QMP at " + qmpSocket + ": QEMU has exited", null));
        try (QmpClient qmp = QmpClient.connect(qmpSocket, timeout, uid)) {
            return work.apply(qmp);
        }
    }

    public QmpStatus queryStatus(Duration timeout) {
        return withQmp(timeout, qmp -> qmp.queryStatus(timeout));
    }

    /**
     * Stops the guest: {@code system_powerdown} and up to {@code stopTimeout} for the guest to shut down, then
     * {@code quit}, then SIGKILL. Each step goes to {@code listener} as it happens. Returns all steps; the last one
     * is the EXITED step of the phase that ended the guest.
     *
     * @throws GuestStopException if the process survives SIGKILL (it should not: a process in uninterruptible
     *                            sleep can delay it)
     */
    public List<StopStep> stop(Duration stopTimeout, Consumer<StopStep> listener) {
        long start = System.nanoTime();
        List<StopStep> steps = new ArrayList<>();
        Consumer<StopStep> report = step -> {
            steps.add(step);
            listener.accept(step);
        };
        if (hasExited()) {
            report.accept(step(StopStep.Phase.POWERDOWN, StopStep.StepOutcome.EXITED, start, "already exited"));
            return steps;
        }
        if (attempt(StopStep.Phase.POWERDOWN, qmp -> qmp.systemPowerdown(QMP_STEP_TIMEOUT), stopTimeout, start, report)) {
            return steps;
        }
        if (attempt(StopStep.Phase.QUIT, qmp -> qmp.quit(QMP_STEP_TIMEOUT), EXIT_TIMEOUT, start, report)) {
            return steps;
        }
        try {
            pidFd.signal(Signal.SIGKILL);
            report.accept(step(StopStep.Phase.SIGKILL, StopStep.StepOutcome.SENT, start, ""));
        } catch (OsException e) {
            report.accept(step(StopStep.Phase.SIGKILL, StopStep.StepOutcome.FAILED, start, e.getMessage()));
        }
        if (pidFd.awaitExit(EXIT_TIMEOUT)) {
            report.accept(step(StopStep.Phase.SIGKILL, StopStep.StepOutcome.EXITED, start, ""));
            return steps;
        }
        report.accept(step(StopStep.Phase.SIGKILL, StopStep.StepOutcome.TIMED_OUT, start, "process " + pid() + " still exists"));
        throw new GuestStopException("guest " + vm + " (pid " + pid() + ") survived SIGKILL for " + EXIT_TIMEOUT.toSeconds() + " s: " + steps);
    }

    private boolean attempt(StopStep.Phase phase, Consumer<QmpClient> command, Duration wait, long start, Consumer<StopStep> report) {
        try {
            withQmp(QMP_STEP_TIMEOUT, qmp -> {
                command.accept(qmp);
                return null;
            });
            report.accept(step(phase, StopStep.StepOutcome.SENT, start, ""));
        } catch (QmpException e) {
            if (pidFd.hasExited()) { // it ended while we talked to it (quit closes the socket as it exits)
                report.accept(step(phase, StopStep.StepOutcome.EXITED, start, ""));
                return true;
            }
            report.accept(step(phase, StopStep.StepOutcome.FAILED, start, e.getMessage()));
            return false;
        }
        if (pidFd.awaitExit(wait)) {
            report.accept(step(phase, StopStep.StepOutcome.EXITED, start, ""));
            return true;
        }
        report.accept(step(phase, StopStep.StepOutcome.TIMED_OUT, start, "still running after " + wait.toMillis() + " ms"));
        return false;
    }

    /** SIGKILL at once, for a guest that failed its checks. Waits for the exit. */
    public void kill() {
        try {
            pidFd.signal(Signal.SIGKILL);
        } catch (OsException e) {
            if (!pidFd.hasExited()) {
                throw e;
            }
        }
        pidFd.awaitExit(EXIT_TIMEOUT);
    }

    private static StopStep step(StopStep.Phase phase, StopStep.StepOutcome outcome, long start, String detail) {
        return new StopStep(phase, outcome, Duration.ofNanos(System.nanoTime() - start), detail);
    }

    /** Releases the pidfd; the guest keeps running. */
    @Override
    public void close() {
        pidFd.close();
    }

    @Override
    public String toString() {
        return "guest " + vm + " (pid " + pid() + ")";
    }

    static final class GuestStopException extends RuntimeException {
        GuestStopException(String message) {
            super(message);
        }
    }
}
