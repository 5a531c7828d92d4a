package io.qfence.daemon;

import java.time.Instant;
import java.util.Date;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs cycles on Quartz, in memory: one durable job that Quartz never runs concurrently with itself
 * ({@link DisallowConcurrentExecution}), and one one-shot "wake" trigger that each run moves to the time the
 * {@link Runner} asks for next (its poll, drift check, expiry or retry, each already jittered). Because there is only
 * ever one future fire time, a misfire (the machine slept, a cycle ran long) fires once, at once, and never a burst of
 * catch-up runs.
 *
 * <p>{@link #requestNow} (the webhook, a control file) asks for an immediate cycle. Requests coalesce: however many
 * arrive while a cycle runs or waits to run, one more cycle follows.
 *
 * <p>Quartz's single worker thread runs the cycles; it is an ordinary thread, and the engine enters the managed
 * network namespace on threads of its own.
 */
public final class CycleScheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CycleScheduler.class);
    private static final JobKey JOB = JobKey.jobKey("reconcile", "qfence");
    private static final TriggerKey WAKE = TriggerKey.triggerKey("wake", "qfence");
    private static final String KIND = "kind";
    private static final String KIND_WAKE = "wake";
    private static final String KIND_REQUEST = "request";

    /** What the scheduler runs. */
    public interface Runner {
        void run(io.qfence.daemon.Trigger trigger);

        /** When to run next, asked after each run. */
        Instant nextWakeUp();
    }

    private final Scheduler quartz;
    private final Runner runner;
    private final AtomicReference<io.qfence.daemon.Trigger> requested = new AtomicReference<>();
    private volatile io.qfence.daemon.Trigger firstTrigger;

    private CycleScheduler(Scheduler quartz, Runner runner, io.qfence.daemon.Trigger firstTrigger) {
        this.quartz = quartz;
        this.runner = runner;
        this.firstTrigger = firstTrigger;
    }

    /** Starts the scheduler; the first cycle ({@code first}, e.g. {@code STARTUP}) runs at once. */
    public static CycleScheduler start(Runner runner, io.qfence.daemon.Trigger first) throws SchedulerException {
        Objects.requireNonNull(runner, "runner");
        Properties properties = new Properties();
        // unique per instance: Quartz keeps schedulers in a process-wide repository by name
        properties.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "qfence-" + UUID.randomUUID());
        properties.setProperty(StdSchedulerFactory.PROP_THREAD_POOL_CLASS, "org.quartz.simpl.SimpleThreadPool");
        properties.setProperty("org.quartz.threadPool.threadCount", "1");
        properties.setProperty("org.quartz.threadPool.threadNamePrefix", "qfence-cycle");
        properties.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        properties.setProperty(StdSchedulerFactory.PROP_SCHED_MAKE_SCHEDULER_THREAD_DAEMON, "true");
        properties.setProperty(StdSchedulerFactory.PROP_JOB_STORE_CLASS, "org.quartz.simpl.RAMJobStore");
        // a fire more than 5 s late is a misfire, handled by the trigger's instruction (fire once, now)
        properties.setProperty("org.quartz.jobStore.misfireThreshold", "5000");
        Scheduler quartz = new StdSchedulerFactory(properties).getScheduler();
        CycleScheduler scheduler = new CycleScheduler(quartz, runner, first);
        quartz.setJobFactory((bundle, s) -> new ReconcileJob(scheduler));
        JobDetail job = JobBuilder.newJob(ReconcileJob.class).withIdentity(JOB).storeDurably().build();
        quartz.addJob(job, false);
        quartz.scheduleJob(wakeAt(Instant.now()));
        quartz.start();
        return scheduler;
    }

    /** Asks for a cycle now; coalesced with any request not yet served. */
    public void requestNow(io.qfence.daemon.Trigger trigger) {
        if (!requested.compareAndSet(null, trigger)) {
            LOG.atDebug().addKeyValue("trigger", trigger.label()).log("cycle already requested: coalesced");
            return;
        }
        try {
            quartz.triggerJob(JOB, new JobDataMap(java.util.Map.of(KIND, KIND_REQUEST)));
        } catch (SchedulerException e) {
            requested.compareAndSet(trigger, null);
            LOG.atWarn().setCause(e).log("cannot request a cycle");
        }
    }

    /** Stops scheduling, and waits for a running cycle to finish (an apply is never cut short here). */
    @Override
    public void close() {
        try {
            quartz.shutdown(true);
        } catch (SchedulerException e) {
            LOG.atWarn().setCause(e).log("cannot shut the scheduler down");
        }
    }

    private void execute(String kind) {
        io.qfence.daemon.Trigger trigger = requested.getAndSet(null);
        if (trigger == null) {
            if (KIND_REQUEST.equals(kind)) {
                // an earlier run already served this request
                reschedule();
                return;
            }
            trigger = firstTrigger != null ? firstTrigger : io.qfence.daemon.Trigger.SCHEDULE;
        }
        firstTrigger = null;
        try {
            runner.run(trigger);
        } catch (RuntimeException | Error e) {
            LOG.atError().setCause(e).log("cycle failed unexpectedly");
        } finally {
            reschedule();
        }
    }

    private void reschedule() {
        Instant next;
        try {
            next = runner.nextWakeUp();
        } catch (RuntimeException e) {
            LOG.atError().setCause(e).log("cannot compute the next cycle; trying again in a minute");
            next = Instant.now().plusSeconds(60);
        }
        try {
            if (quartz.isShutdown()) {
                return;
            }
            if (quartz.checkExists(WAKE)) {
                quartz.rescheduleJob(WAKE, wakeAt(next));
            } else {
                quartz.scheduleJob(wakeAt(next));
            }
            LOG.atDebug().addKeyValue("at", next.toString()).log("next cycle scheduled");
        } catch (SchedulerException e) {
            LOG.atError().setCause(e).log("cannot schedule the next cycle");
        }
    }

    private static Trigger wakeAt(Instant at) {
        return TriggerBuilder.newTrigger().withIdentity(WAKE).forJob(JOB)
                .usingJobData(KIND, KIND_WAKE)
                .startAt(Date.from(at))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow())
                .build();
    }

    /** The Quartz job: never two at once. */
    @DisallowConcurrentExecution
    static final class ReconcileJob implements Job {
        private final CycleScheduler scheduler;

        ReconcileJob(CycleScheduler scheduler) {
            this.scheduler = scheduler;
        }

        @Override
        public void execute(JobExecutionContext context) {
            scheduler.execute(context.getMergedJobDataMap().getString(KIND));
        }
    }
}
