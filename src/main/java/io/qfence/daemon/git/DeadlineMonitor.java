package io.qfence.daemon.git;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.eclipse.jgit.lib.ProgressMonitor;

/**
 * Cancels a transfer once its total time is spent. JGit's own timeout bounds each connect, read and write; a remote
 * that keeps trickling bytes would never trip it. JGit polls {@link #isCancelled()} while it receives and indexes a
 * pack, on the fetching thread, so no watchdog thread is needed; {@link GitDaemonTransport} also checks the deadline
 * on every read. Its monotonic clock is the one the composition root gives the daemon ({@link GitMirror#open}).
 */
final class DeadlineMonitor implements ProgressMonitor {

    private final LongSupplier nanoClock;
    private final long deadlineNanos;
    private volatile boolean expired;

    /** @param nanoClock monotonic nanoseconds, as {@link System#nanoTime()} */
    DeadlineMonitor(Duration budget, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.deadlineNanos = nanoClock.getAsLong() + budget.toNanos();
    }

    /** Whether the budget is spent now (whether or not JGit asked). */
    boolean isPast() {
        return nanoClock.getAsLong() - deadlineNanos >= 0;
    }

    /** Whether the time is beyond the budget now: the transfer must stop. */
    boolean overrun() {
        return nanoClock.getAsLong() - deadlineNanos > 0;
    }

    /** Whether the budget ran out while the transfer was still going. */
    boolean expired() {
        return expired;
    }

    @Override
    public boolean isCancelled() {
        if (overrun()) {
            expired = true;
        }
        return expired;
    }

    @Override
    public void start(int totalTasks) {
        // progress is not reported; only the deadline matters
    }

    @Override
    public void beginTask(String title, int totalWork) {
        // progress is not reported; only the deadline matters
    }

    @Override
    public void update(int completed) {
        // progress is not reported; only the deadline matters
    }

    @Override
    public void endTask() {
        // progress is not reported; only the deadline matters
    }

    @Override
    public void showDuration(boolean enabled) {
        // progress is not reported; only the deadline matters
    }
}
