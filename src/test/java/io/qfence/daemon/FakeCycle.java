package io.qfence.daemon;

import io.qfence.daemon.journal.CycleRecord.ActionResult;
import io.qfence.daemon.journal.CycleRecord.Drift;
import io.qfence.daemon.journal.CycleRecord.PlanSummary;
import io.qfence.model.host.GuestState;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A host that is always in the state the test says: it records each request and answers with the next scripted
 * outcome, or a clean "one action applied" (a change of revision) / "nothing to do" (the same revision again).
 */
final class FakeCycle implements ReconcileCycle {

    final List<ConvergeRequest> requests = new ArrayList<>();
    private final java.util.concurrent.BlockingQueue<ConvergeRequest> arrivals = new java.util.concurrent.LinkedBlockingQueue<>();
    private final Deque<Function<ConvergeRequest, CycleOutcome>> scripted = new ArrayDeque<>();
    private String lastRevision;

    /** The next cycle answers this. */
    FakeCycle then(Function<ConvergeRequest, CycleOutcome> outcome) {
        scripted.add(outcome);
        return this;
    }

    /** The next cycle finds a deleted tap and (in APPLY mode) recreates it. */
    FakeCycle thenDrift(String address) {
        return then(request -> {
            boolean heal = request.mode() == ConvergeRequest.Mode.APPLY;
            return new CycleOutcome(Optional.of("sha256:drift"), Optional.of(new PlanSummary(1, 0, 0)),
                    heal ? List.of(new ActionResult(address, "create", "ok", 3, Optional.empty())) : List.of(),
                    List.of(new Drift(address, "link", heal)), List.of(), heal ? Optional.of(Duration.ofMillis(3))
                    : Optional.empty(), Optional.of(observation()));
        });
    }

    FakeCycle thenFail(String error) {
        return then(request -> new CycleOutcome(Optional.of("sha256:failed"), Optional.of(new PlanSummary(1, 0, 0)),
                List.of(new ActionResult("group.alpha/bridge", "create", "failed", 1, Optional.of(error))), List.of(),
                List.of(error), Optional.of(Duration.ofMillis(1)), Optional.of(observation())));
    }

    @Override
    public synchronized CycleOutcome run(ConvergeRequest request) {
        requests.add(request);
        arrivals.add(request);
        Function<ConvergeRequest, CycleOutcome> next = scripted.poll();
        if (next != null) {
            lastRevision = request.state().revision();
            return next.apply(request);
        }
        boolean changed = !request.state().revision().equals(lastRevision) && request.mode() == ConvergeRequest.Mode.APPLY;
        if (request.mode() == ConvergeRequest.Mode.APPLY) {
            lastRevision = request.state().revision();
        }
        return new CycleOutcome(Optional.of("sha256:" + request.state().revision()),
                Optional.of(new PlanSummary(changed ? 1 : 0, 0, 0)),
                changed ? List.of(new ActionResult("firewall", "update", "ok", 2, Optional.empty())) : List.of(),
                List.of(), List.of(), changed ? Optional.of(Duration.ofMillis(2)) : Optional.empty(),
                Optional.of(observation()));
    }

    /** The next request the daemon makes, waiting at most {@code timeout} (fails the test otherwise). */
    ConvergeRequest awaitRequest(Duration timeout) throws InterruptedException {
        ConvergeRequest request = arrivals.poll(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        if (request == null) {
            throw new AssertionError("no cycle within " + timeout + "; so far: " + requests());
        }
        return request;
    }

    /** Waits for the next request for {@code revision}, skipping others. */
    ConvergeRequest awaitRevision(String revision, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            ConvergeRequest request = arrivals.poll(Math.max(0, left), java.util.concurrent.TimeUnit.NANOSECONDS);
            if (request == null) {
                throw new AssertionError("no cycle for " + revision + " within " + timeout + "; so far: " + requests());
            }
            if (request.state().revision().equals(revision)) {
                return request;
            }
        }
    }

    /** Forgets requests not awaited yet. */
    void drain() {
        arrivals.clear();
    }

    synchronized List<ConvergeRequest> requests() {
        return List.copyOf(requests);
    }

    synchronized ConvergeRequest last() {
        return requests.get(requests.size() - 1);
    }

    static HostObservation observation() {
        return new HostObservation(List.of(new HostObservation.GuestStatus("alpha-app", "alpha", GuestState.RUNNING),
                new HostObservation.GuestStatus("beta-db", "beta", GuestState.CRASHED)),
                new TreeMap<>(Map.of("beta-db", 1L)), new TreeMap<>(Map.of("qfence_drop_forward", 7L)));
    }
}
