package io.qfence.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.apply.ApplyListener;
import io.qfence.apply.Step;
import io.qfence.engine.Timings;
import io.qfence.model.errors.HostOperationException;
import io.qfence.plan.Plan;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Prints an apply's progress: for people, one line per finished step
 * ({@code [3/28] + group.web/bridge … done (12 ms)}); for programs ({@code --progress json}), one JSON object per line
 * and event ({@code plan}, {@code start}, {@code message}, {@code done}, {@code failed}, {@code complete}). Lines are
 * flushed as they are written, so a reader sees each step the moment it happens.
 */
abstract class ProgressPrinter implements ApplyListener {

    enum ProgressFormat { text, json }

    protected final PrintWriter out;

    ProgressPrinter(PrintWriter out) {
        this.out = out;
    }

    static ProgressPrinter of(ProgressFormat mode, PrintWriter out) {
        return mode == ProgressFormat.json ? new JsonLines(out) : new Text(out);
    }

    /** The plan about to be applied (JSON mode reports it; text mode shows the plan itself elsewhere). */
    void planned(Plan plan) {}

    /** The apply ended; {@code applied} steps of {@code total} completed; {@code timings}: the engine's phases. */
    void complete(String outcome, int applied, int total, Timings timings) {}

    /**
     * Lines in step order: guests start in parallel, so a later step can say something before an earlier one ends. A
     * step's lines wait until every earlier step has ended, then come in the order they were said; what remains when
     * the apply ends (after a failure) comes then, still in step order. Each failure is said once, on its step's line.
     */
    static final class Text extends ProgressPrinter {
        private final SortedMap<Integer, List<String>> waiting = new TreeMap<>();
        private final Set<Integer> ended = new HashSet<>();
        private int next = 1;

        Text(PrintWriter out) {
            super(out);
        }

        private static String head(Step s) {
            return s.counter() + " " + s.change().action().symbol() + " " + s.change().address();
        }

        private void say(Step step, String line, boolean end) {
            waiting.computeIfAbsent(step.number(), n -> new ArrayList<>()).add(line);
            if (end) {
                ended.add(step.number());
            }
            while (waiting.containsKey(next) || ended.contains(next)) {
                List<String> lines = waiting.remove(next);
                if (lines != null) {
                    lines.forEach(out::println);
                }
                if (!ended.contains(next)) {
                    break;
                }
                next++;
            }
            out.flush();
        }

        @Override
        public synchronized void message(Step step, String message) {
            say(step, head(step) + ": " + message, false);
        }

        @Override
        public synchronized void finished(Step step, Duration took) {
            say(step, head(step) + " … done (" + LiveHostCommands.format(took) + ")", true);
        }

        @Override
        public synchronized void finishedInBatch(Step step, int size, Duration took) {
            say(step, head(step) + " … done (one of " + size + " in a batch of " + LiveHostCommands.format(took) + ")", true);
        }

        @Override
        public synchronized void failed(Step step, Duration took, HostOperationException error) {
            say(step, head(step) + " … failed (" + LiveHostCommands.format(took) + "): " + error.getMessage(), true);
        }

        @Override
        synchronized void complete(String outcome, int applied, int total, Timings timings) {
            waiting.values().forEach(lines -> lines.forEach(out::println));
            waiting.clear();
            out.flush();
        }
    }

    static final class JsonLines extends ProgressPrinter {
        private static final ObjectMapper JSON = new ObjectMapper();

        JsonLines(PrintWriter out) {
            super(out);
        }

        private ObjectNode event(String name) {
            return JSON.createObjectNode().put("event", name);
        }

        private static ObjectNode step(ObjectNode n, Step s) {
            n.put("step", s.number()).put("total", s.total()).put("address", s.change().address());
            n.putArray("actions").addAll(s.change().actionNames().stream().map(JSON.getNodeFactory()::textNode).toList());
            return n;
        }

        private synchronized void emit(ObjectNode n) {
            out.println(n.toString());
            out.flush();
        }

        @Override
        void planned(Plan plan) {
            ObjectNode n = event("plan").put("host", plan.host()).put("changes", plan.changes().size());
            var s = plan.summary();
            n.putObject("summary").put("add", s.add()).put("change", s.change()).put("destroy", s.destroy()).put("start", s.start())
                    .put("stop", s.stop());
            n.put("observed_digest", plan.observedDigest());
            emit(n);
        }

        @Override
        public void started(Step s) {
            emit(step(event("start"), s));
        }

        @Override
        public void message(Step s, String message) {
            emit(step(event("message"), s).put("message", message));
        }

        @Override
        public void finished(Step s, Duration took) {
            emit(step(event("done"), s).put("ms", took.toMillis()));
        }

        @Override
        public void finishedInBatch(Step s, int size, Duration took) {
            emit(step(event("done"), s).put("ms", took.toMillis()).put("batch", size));
        }

        @Override
        public void failed(Step s, Duration took, HostOperationException error) {
            emit(step(event("failed"), s).put("ms", took.toMillis()).put("error", error.getMessage()));
        }

        /**
         * The last event. {@code timings} holds the engine's phases in milliseconds (to the microsecond, as a plan of a
         * few objects takes well under one), the same {@code Timings} the text mode's closing line rounds; {@code apply}
         * only when something was applied. Programs (bench/run) read these instead of the text line.
         */
        @Override
        void complete(String outcome, int applied, int total, Timings timings) {
            ObjectNode n = event("complete").put("outcome", outcome).put("applied", applied).put("total", total)
                    .put("ms", timings.total().toMillis());
            ObjectNode t = n.putObject("timings");
            t.put("load_ms", ms(timings.load())).put("facts_ms", ms(timings.facts())).put("realize_ms", ms(timings.realize()))
                    .put("observe_ms", ms(timings.observe())).put("plan_ms", ms(timings.plan()));
            timings.apply().ifPresent(a -> t.put("apply_ms", ms(a)));
            t.put("total_ms", ms(timings.total()));
            emit(n);
        }

        private static double ms(Duration d) {
            return d.toNanos() / 1000 / 1000.0;
        }
    }
}
