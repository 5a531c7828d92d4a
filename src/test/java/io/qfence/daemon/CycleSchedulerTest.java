package io.qfence.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** The Quartz loop, for real: one cycle at a time, coalesced requests, one wake-up at a time. Waits are bounded. */
class CycleSchedulerTest {

    private static final Instant FAR = Instant.now().plusSeconds(3600);

    /** Counts runs and concurrency; each run's wake-up comes from {@code nextWakeUp(runNumber)}. */
    static final class RecordingRunner implements CycleScheduler.Runner {
        final List<Trigger> triggers = new ArrayList<>();
        final AtomicInteger active = new AtomicInteger();
        final AtomicInteger maxActive = new AtomicInteger();
        final Semaphore runs = new Semaphore(0);
        volatile CountDownLatch gate = new CountDownLatch(0);
        volatile CountDownLatch entered = new CountDownLatch(1);
        private final IntFunction<Instant> wakeUps;

        RecordingRunner(IntFunction<Instant> wakeUps) {
            this.wakeUps = wakeUps;
        }

        @Override
        public void run(Trigger trigger) {
            maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
            synchronized (triggers) {
                triggers.add(trigger);
            }
            entered.countDown();
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            active.decrementAndGet();
            runs.release();
        }

        @Override
        public Instant nextWakeUp() {
            synchronized (triggers) {
                return wakeUps.apply(triggers.size());
            }
        }

        List<Trigger> triggers() {
            synchronized (triggers) {
                return List.copyOf(triggers);
            }
        }

        void awaitRuns(int n) throws InterruptedException {
            assertThat(runs.tryAcquire(n, 20, TimeUnit.SECONDS)).as("%d runs within 20 s, saw %s", n, triggers())
                    .isTrue();
        }
    }

    @Test
    void theFirstCycleRunsAtOnceWithItsTrigger() throws Exception {
        RecordingRunner runner = new RecordingRunner(n -> FAR);
        try (CycleScheduler scheduler = CycleScheduler.start(runner, Trigger.STARTUP)) {
            runner.awaitRuns(1);
        }
        assertThat(runner.triggers()).containsExactly(Trigger.STARTUP);
    }

    @Test
    void requestsDuringACycleCoalesceIntoOneMoreAndCyclesNeverOverlap() throws Exception {
        RecordingRunner runner = new RecordingRunner(n -> FAR);
        runner.gate = new CountDownLatch(1);
        try (CycleScheduler scheduler = CycleScheduler.start(runner, Trigger.STARTUP)) {
            assertThat(runner.entered.await(20, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 10; i++) {
                scheduler.requestNow(Trigger.WEBHOOK);
            }
            runner.gate.countDown();
            runner.awaitRuns(2);

            scheduler.requestNow(Trigger.CONTROL);
            runner.awaitRuns(1);
        }
        assertThat(runner.triggers()).containsExactly(Trigger.STARTUP, Trigger.WEBHOOK, Trigger.CONTROL);
        assertThat(runner.maxActive.get()).isEqualTo(1);
    }

    @Test
    void eachRunMovesTheWakeUpToTheTimeTheRunnerAsksFor() throws Exception {
        RecordingRunner runner = new RecordingRunner(n -> n < 3 ? Instant.now().plusMillis(50) : FAR);
        try (CycleScheduler scheduler = CycleScheduler.start(runner, Trigger.STARTUP)) {
            runner.awaitRuns(3);
        }
        assertThat(runner.triggers()).containsExactly(Trigger.STARTUP, Trigger.SCHEDULE, Trigger.SCHEDULE);
    }

    @Test
    void aWakeUpLongOverdueFiresOnceNotOncePerMissedInterval() throws Exception {
        Instant anHourAgo = Instant.now().minusSeconds(3600);
        RecordingRunner runner = new RecordingRunner(n -> n == 1 ? anHourAgo : FAR);
        try (CycleScheduler scheduler = CycleScheduler.start(runner, Trigger.STARTUP)) {
            runner.awaitRuns(2);
            // a third run would only come from a catch-up burst; ask for one explicitly and check it is the next
            scheduler.requestNow(Trigger.WEBHOOK);
            runner.awaitRuns(1);
        }
        assertThat(runner.triggers()).containsExactly(Trigger.STARTUP, Trigger.SCHEDULE, Trigger.WEBHOOK);
    }

    @Test
    void closingWaitsForTheRunningCycle() throws Exception {
        RecordingRunner runner = new RecordingRunner(n -> FAR);
        runner.gate = new CountDownLatch(1);
        CycleScheduler scheduler = CycleScheduler.start(runner, Trigger.STARTUP);
        assertThat(runner.entered.await(20, TimeUnit.SECONDS)).isTrue();
        Thread closer = new Thread(scheduler::close);
        closer.start();
        closer.join(200);
        assertThat(closer.isAlive()).as("close waits while a cycle runs").isTrue();
        runner.gate.countDown();
        closer.join(20_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(runner.active.get()).isZero();
    }
}
