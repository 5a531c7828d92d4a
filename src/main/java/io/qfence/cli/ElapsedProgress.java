package io.qfence.cli;

import io.qfence.host.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/** Progress lines on stderr, each with the seconds since the command began: {@code [  4.2s] group.web/vm.web-01: running}. */
final class ElapsedProgress implements Progress {

    private final PrintWriter err;
    private final long start = System.nanoTime();

    ElapsedProgress(PrintWriter err) {
        this.err = err;
    }

    @Override
    public synchronized void step(String address, String message) {
        err.printf(Locale.ROOT, "[%5.1fs] %s: %s%n", (System.nanoTime() - start) / 1e9, address, message);
        err.flush();
    }

    /** A line of its own (a heading), with the same time stamp. */
    synchronized void say(String message) {
        err.printf(Locale.ROOT, "[%5.1fs] %s%n", (System.nanoTime() - start) / 1e9, message);
        err.flush();
    }
}
