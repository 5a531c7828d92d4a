package io.qfence.apply;

import io.qfence.host.HostPorts;
import io.qfence.host.Progress;
import io.qfence.model.errors.HostOperationException;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.Sysctl;
import io.qfence.plan.Action;
import io.qfence.plan.Change;
import io.qfence.plan.ObjectKind;
import io.qfence.plan.Plan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a plan through the ports, one change at a time, in the plan's order, and stops at the first failure
 * (fail-closed: nothing after a failed step runs, so a guest never starts after its isolation failed to go in
 * place).
 *
 * <p>Each step, after the java-operator-sdk's reconcile of one dependent resource: check cheaply what the step relies
 * on (preconditions, where they matter: a link's name is free before it is created, a link to change or delete is
 * still qfence's, a guest's firewall, tap and cgroup exist before it starts), act through the port, then observe that
 * one object again and compare its attributes with what the plan says it must be (the post-condition). A step whose
 * post-condition does not hold fails with a message that names each attribute that differs.
 *
 * <p>Three kinds of runs are batched: consecutive link deletions go to {@link io.qfence.host.LinkPort#deleteAll} (one
 * kernel transaction instead of one per link: tearing down hundreds of links takes seconds instead of half a
 * minute), consecutive link creations to {@link io.qfence.host.LinkPort#createAll} (a few datagrams instead of several
 * round trips per link), and consecutive guest starts run in parallel, up to {@code parallelStarts} at a time (the planner puts
 * starts last, after everything they depend on; a failed start fails the apply once the starts already running have
 * finished).
 *
 * <p>Crash safety is not this class's job alone: every port operation leaves the host in a state that observation
 * reports truthfully (see {@link io.qfence.host.LinkPort#create}), so an apply killed at any point is completed by the
 * next plan and apply.
 *
 * <p>Failures: what the ports declare ({@link HostPortException}: the host refused, in the model's words) and what this
 * class finds itself (a precondition or post-condition that does not hold) fail the step and end the apply, reported
 * as a {@link HostOperationException} for the step's object. Anything else thrown below is a programming error and
 * is not dressed up as a host failure: it propagates.
 */
public final class Applier {

    public static final int DEFAULT_PARALLEL_STARTS = 4;

    private final HostPorts host;
    private final int parallelStarts;

    public Applier(HostPorts host) {
        this(host, DEFAULT_PARALLEL_STARTS);
    }

    public Applier(HostPorts host, int parallelStarts) {
        this.host = Objects.requireNonNull(host, "host");
        if (parallelStarts < 1) {
            throw new IllegalArgumentException("parallelStarts must be at least 1, got " + parallelStarts);
        }
        this.parallelStarts = parallelStarts;
    }

    /**
     * Applies {@code plan}. Returns the report also when a step failed (with that failure); throws only for a plan that
     * must not be applied at all.
     *
     * @throws IllegalArgumentException when the plan has errors
     */
    public ApplyReport apply(Plan plan, ApplyListener listener) {
        if (!plan.isApplicable()) {
            throw new IllegalArgumentException("a plan with errors cannot be applied: " + String.join("; ", plan.errors()));
        }
        long start = System.nanoTime();
        List<Change> changes = plan.changes();
        int total = changes.size();
        List<ApplyReport.Completed> completed = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        ApplyListener counting = new ApplyListener() {
            @Override
            public void started(Step step) {
                listener.started(step);
            }

            @Override
            public void message(Step step, String message) {
                listener.message(step, message);
            }

            @Override
            public void finished(Step step, Duration took) {
                listener.finished(step, took);
            }

            @Override
            public void finishedInBatch(Step step, int size, Duration took) {
                listener.finishedInBatch(step, size, took);
            }

            @Override
            public void failed(Step step, Duration took, HostOperationException error) {
                failed.incrementAndGet();
                listener.failed(step, took, error);
            }
        };
        Optional<HostOperationException> failure = Optional.empty();
        int i = 0;
        while (i < total && failure.isEmpty()) {
            int end = runEnd(changes, i);
            List<Step> run = new ArrayList<>();
            for (int k = i; k < end; k++) {
                run.add(new Step(k + 1, total, changes.get(k)));
            }
            if (run.size() > 1 && isLinkDeletion(run.get(0).change())) {
                failure = deleteLinks(run, counting, completed);
            } else if (run.size() > 1 && isLinkCreation(run.get(0).change())) {
                failure = createLinks(run, counting, completed);
            } else if (run.size() > 1) {
                failure = startInParallel(run, counting, completed);
            } else {
                failure = runStep(run.get(0), counting, completed);
            }
            i = end;
        }
        return new ApplyReport(total, completed, failure, failure.isPresent() ? Math.max(1, failed.get()) : 0,
                Duration.ofNanos(System.nanoTime() - start));
    }

    // ---- runs

    private static boolean isLinkDeletion(Change c) {
        return c.kind() == ObjectKind.LINK && c.action() == Action.DELETE;
    }

    private static boolean isLinkCreation(Change c) {
        return c.kind() == ObjectKind.LINK && c.action() == Action.CREATE;
    }

    private static boolean isStart(Change c) {
        return c.kind() == ObjectKind.GUEST && c.action() == Action.START;
    }

    /**
     * The end (exclusive) of the run that starts at {@code i}: consecutive link deletions, consecutive link creations,
     * or consecutive starts.
     */
    private static int runEnd(List<Change> changes, int i) {
        Change first = changes.get(i);
        java.util.function.Predicate<Change> same = isLinkDeletion(first) ? Applier::isLinkDeletion
                : isLinkCreation(first) ? Applier::isLinkCreation : isStart(first) ? Applier::isStart : c -> false;
        int end = i + 1;
        while (end < changes.size() && same.test(changes.get(end))) {
            end++;
        }
        return end;
    }

    private Optional<HostOperationException> runStep(Step step, ApplyListener listener, List<ApplyReport.Completed> completed) {
        listener.started(step);
        long t0 = System.nanoTime();
        try {
            execute(step, listener);
            verify(step.change());
        } catch (HostPortException | HostOperationException e) {
            HostOperationException failure = asFailure(step.change(), e);
            listener.failed(step, since(t0), failure);
            return Optional.of(failure);
        }
        Duration took = since(t0);
        completed.add(new ApplyReport.Completed(step.number(), step.change().address(), step.change().action(), took));
        listener.finished(step, took);
        return Optional.empty();
    }

    private Optional<HostOperationException> deleteLinks(List<Step> run, ApplyListener listener, List<ApplyReport.Completed> completed) {
        run.forEach(listener::started);
        long t0 = System.nanoTime();
        List<Link> links = run.stream().map(s -> (Link) s.change().before().orElseThrow()).toList();
        try {
            host.links().deleteAll(links);
        } catch (HostPortException e) {
            return wholeRunFailed(run, listener, t0, new HostOperationException(run.get(0).change().address(), "could not delete "
                    + links.size() + " links (" + String.join(", ", links.stream().map(Link::name).toList()) + ") in one transaction: "
                    + e.getMessage(), e));
        }
        return reportInOrder(run, since(t0), listener, completed, k -> {
            try {
                verify(run.get(k).change());
                return Optional.empty();
            } catch (HostPortException | HostOperationException e) {
                return Optional.of(asFailure(run.get(k).change(), e));
            }
        });
    }

    /** A batch that failed as a whole: every step of its run fails with it. */
    private static Optional<HostOperationException> wholeRunFailed(List<Step> run, ApplyListener listener, long t0,
                                                                   HostOperationException failure) {
        run.forEach(s -> listener.failed(s, since(t0), failure));
        return Optional.of(failure);
    }

    /**
     * The steps of a batch that ran, reported in order, each after its {@code check} (the step's failure, or empty): up
     * to the first that failed.
     */
    private static Optional<HostOperationException> reportInOrder(List<Step> run, Duration took, ApplyListener listener,
                                                                  List<ApplyReport.Completed> completed,
                                                                  java.util.function.IntFunction<Optional<HostOperationException>> check) {
        for (int k = 0; k < run.size(); k++) {
            Step s = run.get(k);
            Optional<HostOperationException> failure = check.apply(k);
            if (failure.isPresent()) {
                listener.failed(s, took, failure.get());
                return failure;
            }
            completed.add(new ApplyReport.Completed(s.number(), s.change().address(), s.change().action(), took));
            listener.finishedInBatch(s, run.size(), took);
        }
        return Optional.empty();
    }

    /**
     * Consecutive link creations, through {@link io.qfence.host.LinkPort#createAll} (a few datagrams for the whole run
     * instead of several round trips per link). Preconditions first, for the whole run, from one observation: the run
     * is cut before the first link whose name is taken, which then fails. Post-conditions from one observation after:
     * each link must be there with exactly its planned attributes. Steps are reported in order up to the first
     * failure; links of the run after it may already exist (each crash-safely, see {@code createAll}), and the next
     * plan shows them as they are.
     */
    private Optional<HostOperationException> createLinks(List<Step> run, ApplyListener listener, List<ApplyReport.Completed> completed) {
        run.forEach(listener::started);
        long t0 = System.nanoTime();
        Set<String> taken = new HashSet<>();
        List<Link> links = new ArrayList<>();
        List<Optional<HostPortException>> outcomes;
        Map<String, Link> seen = new HashMap<>();
        try {
            host.links().observe().links().forEach(l -> taken.add(l.name()));
            for (Step s : run) {
                Link link = (Link) s.change().after().orElseThrow();
                if (taken.contains(link.name())) {
                    break;
                }
                links.add(link);
            }
            outcomes = host.links().createAll(links);
            host.links().observe().links().forEach(l -> seen.put(l.name(), l));
        } catch (HostPortException e) {
            return wholeRunFailed(run, listener, t0, new HostOperationException(run.get(0).change().address(), "could not create "
                    + links.size() + " links: " + e.getMessage(), e));
        }
        return reportInOrder(run, since(t0), listener, completed, k -> {
            Link want = (Link) run.get(k).change().after().orElseThrow();
            if (k >= links.size()) {
                return Optional.of(new HostOperationException(want.address(), "precondition failed: a link named " + want.name()
                        + " already exists; plan again"));
            }
            if (outcomes.get(k).isPresent()) {
                return Optional.of(asFailure(run.get(k).change(), outcomes.get(k).get()));
            }
            Link got = seen.get(want.name());
            if (got == null || !got.address().equals(want.address())) {
                return Optional.of(new HostOperationException(want.address(), "post-condition failed: it is not there after the change"
                        + " (no link of qfence's named " + want.name() + ")"));
            }
            List<String> differences = differences(got.attributes(), want.attributes());
            return differences.isEmpty() ? Optional.empty()
                    : Optional.of(new HostOperationException(want.address(), "post-condition failed: " + String.join("; ", differences)));
        });
    }

    private Optional<HostOperationException> startInParallel(List<Step> run, ApplyListener listener, List<ApplyReport.Completed> completed) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelStarts, run.size()), r -> {
            Thread t = new Thread(r, "qfence-start");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Optional<HostOperationException>>> results = new ArrayList<>();
            for (Step s : run) {
                results.add(pool.submit(() -> runStep(s, listener, completed)));
            }
            List<HostOperationException> failures = new ArrayList<>();
            for (Future<Optional<HostOperationException>> f : results) {
                f.get().ifPresent(failures::add);
            }
            completed.sort(Comparator.comparingInt(ApplyReport.Completed::number));
            return failures.stream().findFirst();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(new HostOperationException(run.get(0).change().address(), "interrupted while starting guests"));
        } catch (ExecutionException e) {
            // runStep turns every declared failure into its result: what escaped it is a bug, and stays one
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- acting

    private void execute(Step step, ApplyListener listener) {
        Change c = step.change();
        Action a = c.action();
        HostObject before = c.before().orElse(null);
        HostObject after = c.after().orElse(null);
        switch (c.kind()) {
            case SYSCTL -> {
                Sysctl s = (Sysctl) after;
                host.sysctls().write(s.key(), s.value());
            }
            case FIREWALL -> {
                if (a == Action.DELETE) {
                    host.firewall().remove();
                } else {
                    host.firewall().apply((Firewall) after);
                }
            }
            case LINK -> link(a, (Link) before, (Link) after);
            case CGROUP -> cgroup(a, (Cgroup) before, (Cgroup) after);
            case GUEST -> guest(a, (Guest) before, (Guest) after, (address, message) -> listener.message(step, message));
        }
    }

    private void link(Action a, Link before, Link after) {
        switch (a) {
            case CREATE -> createLink(after);
            case UPDATE -> {
                if (host.links().find(before.name()).filter(l -> l.address().equals(before.address())).isEmpty()) {
                    throw new HostOperationException(before.address(), "precondition failed: no link of qfence's named "
                            + before.name() + " is there to update");
                }
                host.links().update(before, after);
            }
            case DELETE -> host.links().delete(before);
            case REPLACE_DELETE_BEFORE_CREATE -> {
                host.links().delete(before);
                createLink(after);
            }
            case REPLACE_CREATE_BEFORE_DELETE -> {
                createLink(after);
                host.links().delete(before);
            }
            default -> throw new IllegalArgumentException("a link is never " + a);
        }
    }

    private void createLink(Link link) {
        if (host.links().find(link.name()).isPresent()) {
            throw new HostOperationException(link.address(), "precondition failed: a link named " + link.name()
                    + " already exists; plan again");
        }
        host.links().create(link);
    }

    private void cgroup(Action a, Cgroup before, Cgroup after) {
        switch (a) {
            case CREATE, UPDATE -> host.cgroups().apply(after);
            case DELETE -> host.cgroups().delete(before);
            case REPLACE_DELETE_BEFORE_CREATE -> {
                host.cgroups().delete(before);
                host.cgroups().apply(after);
            }
            case REPLACE_CREATE_BEFORE_DELETE -> {
                host.cgroups().apply(after);
                host.cgroups().delete(before);
            }
            default -> throw new IllegalArgumentException("a cgroup is never " + a);
        }
    }

    private void guest(Action a, Guest before, Guest after, Progress progress) {
        switch (a) {
            case START -> {
                requirePlacement(after);
                host.guests().start(after, progress);
            }
            case STOP -> host.guests().stop(before, progress);
            case REPLACE_DELETE_BEFORE_CREATE -> {
                host.guests().stop(before, progress);
                requirePlacement(after);
                host.guests().start(after, progress);
            }
            default -> throw new IllegalArgumentException("a guest is never " + a);
        }
    }

    /** Fail-closed: a guest starts only inside a firewall, on its own tap, in its own cgroup. */
    private void requirePlacement(Guest g) {
        if (host.firewall().current().isEmpty()) {
            throw new HostOperationException(g.address(), "precondition failed: qfence's firewall is not in place; the guest is not started");
        }
        if (g.launch().tap().isPresent() && host.links().find(g.launch().tap().get()).isEmpty()) {
            throw new HostOperationException(g.address(), "precondition failed: its tap " + g.launch().tap().get()
                    + " is not there; the guest is not started");
        }
        if (host.cgroups().read(g.address(), g.launch().cgroupPath(), java.util.Set.of()).isEmpty()) {
            throw new HostOperationException(g.address(), "precondition failed: its cgroup " + g.launch().cgroupPath()
                    + " is not there; the guest is not started");
        }
    }

    // ---- verifying

    private void verify(Change c) {
        Action a = c.action();
        if (a == Action.DELETE || a == Action.REPLACE_DELETE_BEFORE_CREATE || a == Action.REPLACE_CREATE_BEFORE_DELETE) {
            HostObject gone = c.before().orElseThrow();
            boolean replacedInPlace = a != Action.DELETE && c.after().map(x -> sameSlot(x, gone)).orElse(false);
            if (!replacedInPlace && c.kind() != ObjectKind.GUEST) {
                requireGone(c.address(), gone);
            }
        }
        if (a == Action.STOP) {
            Guest g = (Guest) c.before().orElseThrow();
            Optional<Guest> seen = host.guests().find(g);
            if (seen.filter(x -> x.state() == GuestState.RUNNING || x.state() == GuestState.PAUSED).isPresent()) {
                throw new HostOperationException(c.address(), "post-condition failed: the guest still runs after its stop");
            }
            return;
        }
        c.after().ifPresent(after -> requirePresent(c.address(), after));
    }

    /** Whether a replacement's new object sits where the old one was (the same link name or cgroup path). */
    private static boolean sameSlot(HostObject a, HostObject b) {
        if (a instanceof Link x && b instanceof Link y) {
            return x.name().equals(y.name());
        }
        if (a instanceof Cgroup x && b instanceof Cgroup y) {
            return x.path().equals(y.path());
        }
        return true;
    }

    private void requireGone(String address, HostObject gone) {
        boolean present;
        if (gone instanceof Link l) {
            present = host.links().find(l.name()).isPresent();
        } else if (gone instanceof Cgroup cg) {
            present = host.cgroups().read(cg.address(), cg.path(), java.util.Set.of()).isPresent();
        } else if (gone instanceof Firewall) {
            present = host.firewall().observe().firewall().isPresent();
        } else {
            present = false; // host settings are never removed
        }
        if (present) {
            throw new HostOperationException(address, "post-condition failed: it is still there after its deletion");
        }
    }

    private void requirePresent(String address, HostObject want) {
        Optional<? extends HostObject> seen;
        if (want instanceof Sysctl s) {
            seen = host.sysctls().read(s.key()).map(v -> new Sysctl(s.address(), s.key(), v));
        } else if (want instanceof Link l) {
            seen = host.links().find(l.name());
        } else if (want instanceof Firewall) {
            seen = host.firewall().current();
        } else if (want instanceof Cgroup cg) {
            seen = host.cgroups().read(cg.address(), cg.path(), cg.files().keySet());
        } else {
            Guest g = (Guest) want;
            Optional<Guest> guest = host.guests().find(g);
            if (guest.filter(x -> x.state() == GuestState.RUNNING && x.configDigest().equals(g.configDigest())).isEmpty()) {
                throw new HostOperationException(address, "post-condition failed: the guest is "
                        + guest.map(x -> x.state().name().toLowerCase(java.util.Locale.ROOT)
                                + (x.configDigest().equals(g.configDigest()) ? "" : " with another configuration")).orElse("not found")
                        + " after its start");
            }
            return;
        }
        if (seen.isEmpty()) {
            throw new HostOperationException(address, "post-condition failed: it is not there after the change"
                    + (want instanceof Link l ? " (no link of qfence's named " + l.name() + ")" : ""));
        }
        List<String> differences = differences(seen.get().attributes(), want.attributes());
        if (!differences.isEmpty()) {
            throw new HostOperationException(address, "post-condition failed: " + String.join("; ", differences));
        }
    }

    /** {@code mtu is "9000", expected "1500"}, one entry per attribute that differs. */
    static List<String> differences(SortedMap<String, String> seen, SortedMap<String, String> want) {
        TreeSet<String> keys = new TreeSet<>(seen.keySet());
        keys.addAll(want.keySet());
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            String s = seen.get(k);
            String w = want.get(k);
            if (!Objects.equals(s, w)) {
                out.add(k + " is " + (s == null ? "not set" : "\"" + shorten(s) + "\"") + ", expected "
                        + (w == null ? "not set" : "\"" + shorten(w) + "\""));
            }
        }
        return out;
    }

    private static String shorten(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    // ---- failures

    /** A step's failure: this class's own as it is, a port's for the step's object with what was being done. */
    private static HostOperationException asFailure(Change c, RuntimeException e) {
        if (e instanceof HostOperationException h) {
            return h;
        }
        return new HostOperationException(c.address(), "could not " + verb(c) + ": " + e.getMessage(), e);
    }

    private static String verb(Change c) {
        return switch (c.action()) {
            case CREATE -> "create it";
            case UPDATE -> "update it";
            case DELETE -> "delete it";
            case REPLACE_DELETE_BEFORE_CREATE, REPLACE_CREATE_BEFORE_DELETE -> c.kind() == ObjectKind.GUEST ? "restart it" : "replace it";
            case START -> "start it";
            case STOP -> "stop it";
        };
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }
}
