package io.qfence.platform.os;

import java.util.Arrays;
import java.util.Optional;

/** The signals qfence sends or reports, with their Linux x86_64 numbers. */
public enum Signal {
    SIGHUP(1), SIGINT(2), SIGQUIT(3), SIGILL(4), SIGTRAP(5), SIGABRT(6), SIGBUS(7), SIGFPE(8), SIGKILL(9),
    SIGUSR1(10), SIGSEGV(11), SIGUSR2(12), SIGPIPE(13), SIGALRM(14), SIGTERM(15), SIGCHLD(17), SIGCONT(18),
    SIGSTOP(19), SIGTSTP(20), SIGXCPU(24), SIGXFSZ(25), SIGSYS(31);

    private final int number;

    Signal(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    public static Optional<Signal> of(int number) {
        return Arrays.stream(values()).filter(s -> s.number == number).findFirst();
    }

    /** {@code SIGKILL}, or {@code signal 42} for one this enum does not name. */
    public static String describe(int number) {
        return of(number).map(Enum::name).orElse("signal " + number);
    }
}
