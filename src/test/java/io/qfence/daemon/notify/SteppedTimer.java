package io.qfence.daemon.notify;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The outbox's timer in tests: tasks wait in a queue until the test runs them, and each wait is recorded. */
final class SteppedTimer implements Outbox.Timer {

    private final Deque<Runnable> queue = new ArrayDeque<>();
    final List<Duration> waits = new ArrayList<>();

    @Override
    public synchronized void schedule(Runnable task, Duration delay) {
        waits.add(delay);
        queue.add(task);
    }

    /** Runs every task, including those the tasks schedule, as if each wait had passed. */
    void runAll() {
        for (int i = 0; i < 1000; i++) {
            Runnable next;
            synchronized (this) {
                next = queue.poll();
            }
            if (next == null) {
                return;
            }
            next.run();
        }
        throw new AssertionError("the outbox never stops scheduling");
    }

    /** The waits before retries: every wait but the zero ones of first attempts. */
    List<Duration> retryWaits() {
        return waits.stream().filter(d -> !d.isZero()).toList();
    }
}
