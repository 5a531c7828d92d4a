package io.qfence.daemon.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.qfence.daemon.journal.CycleRecord.Outcome;
import io.prometheus.metrics.model.snapshots.Labels;
import io.qfence.model.host.GuestState;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * qfence's Prometheus metrics, registered in one registry. The daemon records events as they happen (cycles,
 * drift, actions) and replaces snapshots it observes on the host (guests by state, OOM kills, nft drop counters):
 * those are kernel counters, so they are exported as read, not re-counted.
 *
 * <p>Label values come from closed vocabularies (outcomes, guest states, action and drift kinds) or from names in the
 * desired state (VMs, counters), never from request data, so the number of series stays bounded.
 */
public final class QfenceMetrics {

    private final PrometheusRegistry registry;
    private final Counter cycles;
    private final Gauge lastApplied;
    private final Counter driftFound;
    private final Counter driftHealed;
    private final Counter actionsApplied;
    private final Histogram applyDuration;
    private final Counter webhookRequests;
    private final Counter gitFetches;
    private final Gauge suspended;
    private final Gauge awaitingApproval;
    private final Gauge driftWaiting;
    private final Counter forgeStatuses;
    private final Counter notifications;
    private final Gauge consecutiveFailedCycles;
    private final Gauge headApplied;
    private final Counter objectHeals;
    private int failedInARow;
    private volatile List<ExceptionEnd> exceptionEnds = List.of();
    private volatile Map<GuestState, Integer> guests = new EnumMap<>(GuestState.class);
    private volatile Map<String, Long> oomKills = Map.of();
    private volatile Map<String, Long> dropPackets = Map.of();

    public QfenceMetrics(PrometheusRegistry registry) {
        this(registry, Labels.EMPTY);
    }

    /**
     * @param constant labels on every sample: the daemon's {@code host}, so that one Prometheus scraping a fleet can
     *                 tell the hosts apart (and aggregate across them) even where its own {@code instance} label is an
     *                 address that says nothing about which hypervisor it is
     */
    private QfenceMetrics(PrometheusRegistry registry, Labels constant) {
        this.registry = registry;
        cycles = Counter.builder().constLabels(constant).name("qfence_cycles_total")
                .help("Reconcile cycles, by how they ended").labelNames("result").register(registry);
        lastApplied = Gauge.builder().constLabels(constant).name("qfence_last_applied_timestamp_seconds")
                .help("When the last applied revision was applied, in seconds since the epoch").unit(Unit.SECONDS)
                .register(registry);
        driftFound = Counter.builder().constLabels(constant).name("qfence_drift_found_total")
                .help("Differences found between the applied state and the host, by kind of object")
                .labelNames("kind").register(registry);
        driftHealed = Counter.builder().constLabels(constant).name("qfence_drift_healed_total")
                .help("Differences put back by the daemon, by kind of object").labelNames("kind").register(registry);
        actionsApplied = Counter.builder().constLabels(constant).name("qfence_actions_applied_total")
                .help("Plan actions applied successfully, by action").labelNames("action").register(registry);
        applyDuration = Histogram.builder().constLabels(constant).name("qfence_apply_duration_seconds")
                .help("How long applying a plan took").unit(Unit.SECONDS)
                .classicOnly().classicUpperBounds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
                .register(registry);
        webhookRequests = Counter.builder().constLabels(constant).name("qfence_webhook_requests_total")
                .help("Requests to POST /hooks/git, by outcome").labelNames("result").register(registry);
        gitFetches = Counter.builder().constLabels(constant).name("qfence_git_fetches_total")
                .help("Fetches from the Git remote, by outcome").labelNames("result").register(registry);
        suspended = Gauge.builder().constLabels(constant).name("qfence_suspended")
                .help("1 while qfence suspend is in force: nothing is applied or healed").register(registry);
        awaitingApproval = Gauge.builder().constLabels(constant).name("qfence_awaiting_approval")
                .help("1 while a fetched revision waits for qfence approve").register(registry);
        driftWaiting = Gauge.builder().constLabels(constant).name("qfence_drift_waiting")
                .help("Differences found at the last host check and not healed (--drift=report, or suspended)")
                .register(registry);
        forgeStatuses = Counter.builder().constLabels(constant).name("qfence_forge_statuses_total")
                .help("Commit statuses for the Git forge, by attempt result (sent, failed, gave_up, superseded)")
                .labelNames("result").register(registry);
        notifications = Counter.builder().constLabels(constant).name("qfence_notifications_total")
                .help("Notification webhook messages, by event and result (sent, failed, gave_up, deduplicated, "
                        + "rate_limited, superseded)")
                .labelNames("event", "result").register(registry);
        consecutiveFailedCycles = Gauge.builder().constLabels(constant).name("qfence_consecutive_failed_cycles")
                .help("Cycles that failed in a row; an applied or unchanged cycle resets it to 0").register(registry);
        headApplied = Gauge.builder().constLabels(constant).name("qfence_head_applied")
                .help("1 when the fetched head of the branch is the last applied revision; 0 while it is not, or none"
                        + " was fetched yet").register(registry);
        objectHeals = Counter.builder().constLabels(constant).name("qfence_object_heals_total")
                .help("Drift put back by the daemon, per object (its address): one object healed again and again"
                        + " means something on the host keeps changing it").labelNames("kind", "object")
                .register(registry);
        GaugeWithCallback.builder().constLabels(constant).name("qfence_exception_expiry_timestamp_seconds")
                .help("When each dated firewall exception of the applied revision stops applying (the end of its"
                        + " expires day, UTC), in seconds since the epoch").unit(Unit.SECONDS)
                .labelNames("group", "exception")
                .callback(callback -> exceptionEnds.forEach(e ->
                        callback.call(e.end().toEpochMilli() / 1000.0, e.group(), e.exception())))
                .register(registry);
        GaugeWithCallback.builder().constLabels(constant).name("qfence_guests")
                .help("Guests on this host, by state, as last observed").labelNames("state")
                .callback(callback -> {
                    Map<GuestState, Integer> snapshot = guests;
                    for (GuestState state : GuestState.values()) {
                        callback.call(snapshot.getOrDefault(state, 0), lower(state));
                    }
                }).register(registry);
        CounterWithCallback.builder().constLabels(constant).name("qfence_oom_kills_total")
                .help("Processes killed by the OOM killer in each VM's cgroup, as the kernel counts them")
                .labelNames("vm")
                .callback(callback -> oomKills.forEach((vm, kills) -> callback.call(kills, vm)))
                .register(registry);
        CounterWithCallback.builder().constLabels(constant).name("qfence_nft_drop_packets_total")
                .help("Packets dropped by qfence's nft rules, by named counter, as the kernel counts them")
                .labelNames("counter")
                .callback(callback -> dropPackets.forEach((counter, packets) -> callback.call(packets, counter)))
                .register(registry);
    }

    /** Metrics in a registry of their own (the daemon's; tests make one each). */
    public static QfenceMetrics create() {
        return new QfenceMetrics(new PrometheusRegistry());
    }

    /** The daemon's metrics for {@code host}: every sample carries {@code host="NAME"}. */
    public static QfenceMetrics create(String host) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("a host's metrics need its name");
        }
        return new QfenceMetrics(new PrometheusRegistry(), Labels.of("host", host));
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    public void cycleFinished(Outcome outcome) {
        cycles.labelValues(lower(outcome)).inc();
        // refused, awaiting approval and skipped cycles say nothing about whether applying works: they leave the count
        synchronized (this) {
            switch (outcome) {
                case FAILED -> failedInARow++;
                case APPLIED, NO_CHANGES -> failedInARow = 0;
                default -> { }
            }
            consecutiveFailedCycles.set(failedInARow);
        }
    }

    public void revisionApplied(Instant appliedAt) {
        lastApplied.set(appliedAt.toEpochMilli() / 1000.0);
    }

    public void driftFound(String kind) {
        driftFound.labelValues(kind).inc();
    }

    /** @param object the healed object's address, as the journal names it */
    public void driftHealed(String kind, String object) {
        driftHealed.labelValues(kind).inc();
        objectHeals.labelValues(kind, object).inc();
    }

    public void actionApplied(String action) {
        actionsApplied.labelValues(action).inc();
    }

    public void applyTook(Duration duration) {
        applyDuration.observe(duration.toNanos() / 1e9);
    }

    public void webhookRequest(String result) {
        webhookRequests.labelValues(result).inc();
    }

    /** @param result {@code updated}, {@code unchanged} or {@code failed} */
    public void gitFetch(String result) {
        gitFetches.labelValues(result).inc();
    }

    public void suspended(boolean value) {
        suspended.set(value ? 1 : 0);
    }

    public void awaitingApproval(boolean value) {
        awaitingApproval.set(value ? 1 : 0);
    }

    /** How many differences the last host check found and left in place. */
    public void driftWaiting(int count) {
        driftWaiting.set(count);
    }

    /**
     * A forge is configured: its statuses' series exist from now on, at 0, so that the first status given up is an
     * increase Prometheus sees ({@code increase()} cannot tell a series born at 1 from one that always was 1, and
     * {@code QfenceForgeStatusesFailing} would never fire for it).
     */
    public void forgeConfigured() {
        for (String result : List.of("sent", "failed", "gave_up", "superseded")) {
            forgeStatuses.labelValues(result);
        }
    }

    /**
     * A notification webhook is configured: each event's {@code sent} and {@code gave_up} series exist from now on, at
     * 0 (as {@link #forgeConfigured()}: {@code QfenceNotificationsFailing} sees the first message given up).
     */
    public void webhookConfigured(List<String> events) {
        for (String event : events) {
            notifications.labelValues(event, "sent");
            notifications.labelValues(event, "gave_up");
        }
    }

    /** @param result {@code sent}, {@code failed} (one attempt; retried), {@code gave_up} or {@code superseded} */
    public void forgeStatus(String result) {
        forgeStatuses.labelValues(result).inc();
    }

    /**
     * @param event  the notification's event ({@code apply_failed}, {@code drift_found}, ...)
     * @param result {@code sent}, {@code failed} (one attempt; retried), {@code gave_up}, {@code deduplicated},
     *               {@code rate_limited} or {@code superseded}
     */
    public void notification(String event, String result) {
        notifications.labelValues(event, result).inc();
    }

    public void headApplied(boolean value) {
        headApplied.set(value ? 1 : 0);
    }

    /** A dated exception of the applied revision, and when it stops applying. */
    public record ExceptionEnd(String group, String exception, Instant end) {
        public ExceptionEnd {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(exception, "exception");
            Objects.requireNonNull(end, "end");
        }
    }

    /** Replaces the applied revision's dated exceptions (none once they expired, or while nothing is applied). */
    public void exceptionsObserved(List<ExceptionEnd> ends) {
        exceptionEnds = List.copyOf(ends);
    }

    /** Replaces the observed count of guests per state; states not given count zero. */
    public void guestsObserved(Map<GuestState, Integer> byState) {
        Map<GuestState, Integer> copy = new EnumMap<>(GuestState.class);
        copy.putAll(byState);
        guests = copy;
    }

    /** Replaces the observed OOM-kill counters, per VM (the cgroup's {@code oom_kill} count). */
    public void oomKillsObserved(Map<String, Long> byVm) {
        oomKills = new TreeMap<>(byVm);
    }

    /** Replaces the observed packet counts of the nft drop counters, per counter name. */
    public void dropCountersObserved(Map<String, Long> packetsByCounter) {
        dropPackets = new TreeMap<>(packetsByCounter);
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
