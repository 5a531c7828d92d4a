package io.qfence.platform.os;

/** How a child process ended, decoded from {@code waitpid}'s status word. */
public sealed interface ExitStatus {

    /** Human-readable, e.g. {@code exited with status 1} or {@code killed by SIGSYS}. */
    String describe();

    record Exited(int code) implements ExitStatus {
        public Exited {
            if (code < 0 || code > 255) {
                throw new IllegalArgumentException("exit code must be 0..255, got " + code);
            }
        }

        @Override
        public String describe() {
            return "exited with status " + code;
        }
    }

    record Killed(int signal, boolean coreDumped) implements ExitStatus {
        @Override
        public String describe() {
            return "killed by " + Signal.describe(signal) + (coreDumped ? " (core dumped)" : "");
        }
    }

    /** Decodes a {@code wait(2)} status word for a process that has terminated. */
    static ExitStatus decode(int status) {
        int signal = status & 0x7f;
        if (signal == 0) {
            return new Exited((status >> 8) & 0xff);
        }
        return new Killed(signal, (status & 0x80) != 0);
    }
}
