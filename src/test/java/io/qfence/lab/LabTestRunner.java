package io.qfence.lab;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClasspathRoots;

import io.qfence.testing.BothCgroupLayouts;
import io.qfence.testing.ProductionKernel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The lab VM's test command (bin/lab test runs it inside the VM): runs the JUnit Jupiter tests of one tag found in a
 * classpath root, writes one JUnit XML report per test class (Surefire's format, so CI and people read it the same
 * way) and ends with one plain summary line. Exit 0 only when at least one test ran and none failed: a lab that found
 * no test proves nothing, so it must not pass.
 *
 * <p>Usage: {@code java -cp ... io.qfence.lab.LabTestRunner TAG TEST_CLASSES_DIR REPORTS_DIR}
 */
public final class LabTestRunner {

    /** The tag of lab tests that boot guests inside the lab (see {@link #main}). */
    public static final String NESTED_GUESTS = "nested-guests";

    private LabTestRunner() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: LabTestRunner TAG TEST_CLASSES_DIR REPORTS_DIR");
            System.exit(64);
        }
        String tag = args[0];
        Path classes = Path.of(args[1]);
        Path reports = Path.of(args[2]);
        Files.createDirectories(reports);
        // -Dqfence.lab.classes=A,B (bin/lab's QFENCE_LAB_CLASSES) narrows the run to those simple class names.
        String only = System.getProperty("qfence.lab.classes", "");
        LauncherDiscoveryRequestBuilder builder = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClasspathRoots(Set.of(classes)))
                .filters(TagFilter.includeTags(tags(tag)), EngineFilter.includeEngines("junit-jupiter"));
        if (!only.isBlank()) {
            String pattern = ".*\\.(" + String.join("|", only.split(",")) + ")";
            builder.filters(ClassNameFilter.includeClassNamePatterns(pattern));
        } else if (!tag.equals(NESTED_GUESTS)) {
            // a full run (bin/test's) leaves out the tests that boot guests inside the lab: TCG inside TCG takes
            // minutes per guest; name the class (QFENCE_LAB_CLASSES) or the tag to run them
            builder.filters(TagFilter.excludeTags(NESTED_GUESTS));
        }
        LauncherDiscoveryRequest request = builder.build();
        Reports listener = new Reports();
        Instant start = Instant.now();
        LauncherFactory.create().execute(request, listener);
        double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
        listener.write(reports);
        Summary s = listener.summary();
        boolean passed = s.tests() > 0 && s.failures() == 0 && s.errors() == 0;
        System.out.printf(Locale.ROOT, "lab-tests: tag=%s tests=%d failures=%d errors=%d skipped=%d seconds=%.1f result=%s%n",
                tag, s.tests(), s.failures(), s.errors(), s.skipped(), seconds, passed ? "PASS" : "FAIL");
        System.exit(passed ? 0 : 1);
    }

    /**
     * The tags a run takes: the production-kernel run also takes the tests that run on both cgroup layouts (they run
     * here under Surefire on v1, and the lab is where they meet v2).
     */
    static List<String> tags(String tag) {
        return tag.equals(ProductionKernel.TAG) ? List.of(tag, BothCgroupLayouts.TAG) : List.of(tag);
    }

    record Summary(int tests, int failures, int errors, int skipped) {}

    /** One finished test: its outcome, time and, when it did not pass, the throwable's text. */
    record Case(String className, String name, double seconds, Outcome outcome, String message, String detail) {}

    enum Outcome { PASSED, FAILED, ERROR, SKIPPED }

    static final class Reports implements TestExecutionListener {
        private final Map<String, Instant> started = new LinkedHashMap<>();
        private final Map<String, List<Case>> byClass = new LinkedHashMap<>();

        @Override
        public void executionStarted(TestIdentifier id) {
            started.put(id.getUniqueId(), Instant.now());
            if (id.isTest()) {
                System.out.println("lab-test: start " + label(id));
            }
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            if (id.isTest()) {
                add(id, 0, Outcome.SKIPPED, reason, "");
                System.out.println("lab-test: SKIPPED " + label(id) + ": " + reason);
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            Instant begun = started.getOrDefault(id.getUniqueId(), Instant.now());
            double seconds = Duration.between(begun, Instant.now()).toMillis() / 1000.0;
            Optional<Throwable> thrown = result.getThrowable();
            Outcome outcome = switch (result.getStatus()) {
                case SUCCESSFUL -> Outcome.PASSED;
                case ABORTED -> Outcome.SKIPPED;
                case FAILED -> thrown.filter(t -> t instanceof AssertionError).isPresent() ? Outcome.FAILED : Outcome.ERROR;
            };
            String message = thrown.map(t -> String.valueOf(t.getMessage())).orElse("");
            String detail = thrown.map(LabTestRunner::stackTrace).orElse("");
            if (id.isTest()) {
                add(id, seconds, outcome, message, detail);
                System.out.printf(Locale.ROOT, "lab-test: %s %s (%.1f s)%n", outcome, label(id), seconds);
            } else if (outcome != Outcome.PASSED && outcome != Outcome.SKIPPED) {
                // a class-level failure (e.g. @BeforeAll) fails no single test: report it as one, or it would vanish
                add(id, seconds, outcome, message, detail);
                System.out.printf(Locale.ROOT, "lab-test: %s %s (container)%n%s%n", outcome, id.getDisplayName(), detail);
            }
            if (id.isTest() && (outcome == Outcome.FAILED || outcome == Outcome.ERROR)) {
                System.out.println(detail);
            }
        }

        private void add(TestIdentifier id, double seconds, Outcome outcome, String message, String detail) {
            String className = className(id);
            String name = id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                    .map(MethodSource::getMethodName).orElse(id.getDisplayName());
            byClass.computeIfAbsent(className, k -> new ArrayList<>())
                    .add(new Case(className, name, seconds, outcome, message, detail));
        }

        private static String className(TestIdentifier id) {
            return id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast)
                    .map(MethodSource::getClassName)
                    .orElseGet(() -> id.getLegacyReportingName());
        }

        private static String label(TestIdentifier id) {
            return className(id).replaceFirst("^.*\\.", "") + "." + id.getDisplayName();
        }

        Summary summary() {
            int tests = 0;
            int failures = 0;
            int errors = 0;
            int skipped = 0;
            for (List<Case> cases : byClass.values()) {
                for (Case c : cases) {
                    tests++;
                    switch (c.outcome()) {
                        case FAILED -> failures++;
                        case ERROR -> errors++;
                        case SKIPPED -> skipped++;
                        case PASSED -> { }
                    }
                }
            }
            return new Summary(tests, failures, errors, skipped);
        }

        void write(Path dir) {
            byClass.forEach((className, cases) -> {
                StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                long failures = cases.stream().filter(c -> c.outcome() == Outcome.FAILED).count();
                long errors = cases.stream().filter(c -> c.outcome() == Outcome.ERROR).count();
                long skipped = cases.stream().filter(c -> c.outcome() == Outcome.SKIPPED).count();
                double time = cases.stream().mapToDouble(Case::seconds).sum();
                x.append(String.format(Locale.ROOT,
                        "<testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">%n",
                        xml(className), cases.size(), failures, errors, skipped, time));
                for (Case c : cases) {
                    x.append(String.format(Locale.ROOT, "  <testcase name=\"%s\" classname=\"%s\" time=\"%.3f\"",
                            xml(c.name()), xml(c.className()), c.seconds()));
                    switch (c.outcome()) {
                        case PASSED -> x.append("/>\n");
                        case SKIPPED -> x.append(">\n    <skipped message=\"").append(xml(c.message())).append("\"/>\n  </testcase>\n");
                        case FAILED, ERROR -> x.append(">\n    <").append(c.outcome() == Outcome.FAILED ? "failure" : "error")
                                .append(" message=\"").append(xml(c.message())).append("\">").append(xml(c.detail()))
                                .append("</").append(c.outcome() == Outcome.FAILED ? "failure" : "error").append(">\n  </testcase>\n");
                    }
                }
                x.append("</testsuite>\n");
                try {
                    Files.writeString(dir.resolve("TEST-" + className + ".xml"), x, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** XML 1.0 text: the five entities escaped, and control characters (not allowed at all) written as {@code \\uXXXX}. */
    static String xml(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                case '\n', '\t' -> out.append(c);
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
