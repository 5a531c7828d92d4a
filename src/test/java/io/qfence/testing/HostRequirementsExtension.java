package io.qfence.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Evaluates {@link RequiresHost}: skip with a printed reason locally, fail in strict (CI) mode. */
public final class HostRequirementsExtension implements ExecutionCondition {

    public static final String STRICT_ENV = "QFENCE_TEST_STRICT";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        List<String> missing = new ArrayList<>();
        Optional<RequiresHost> onElement = context.getElement()
                .flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresHost.class));
        if (onElement.isEmpty()) {
            return ConditionEvaluationResult.enabled("no host requirements");
        }
        if (!isRoot()) {
            missing.add("root (uid 0)");
        }
        for (String tool : onElement.get().tools()) {
            if (!onPath(tool)) {
                missing.add("executable '" + tool + "' on PATH");
            }
        }
        for (String file : onElement.get().files()) {
            if (!Files.exists(Path.of(file))) {
                missing.add("file " + file);
            }
        }
        if (onElement.get().cgroups()) {
            cgroupsMissing().ifPresent(missing::add);
        }
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("host requirements met");
        }
        String reason = context.getDisplayName() + " needs " + String.join(", ", missing);
        if ("1".equals(System.getenv(STRICT_ENV))) {
            throw new IllegalStateException(STRICT_ENV + "=1 forbids skipping: " + reason
                    + ". Run bin/test as root on Debian 12; it installs the packages the tests need.");
        }
        System.err.println("SKIPPED: " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }

    /** What this host lacks of the cgroup controllers qfence needs, in either layout; empty when it has them. */
    static Optional<String> cgroupsMissing() {
        try {
            io.qfence.platform.cgroup.CgroupLayout layout = CgroupHost.layout();
            List<String> lacking = layout.missing().stream().filter(c -> List.of("cpu", "memory", "pids").contains(c)).toList();
            return lacking.isEmpty() ? Optional.empty()
                    : Optional.of("the cgroup controllers " + String.join(", ", lacking) + " (" + layout.describe().replace('\n', ';') + ")");
        } catch (RuntimeException e) {
            return Optional.of("cgroups with the cpu, memory and pids controllers (" + e.getMessage() + ")");
        }
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[2].equals("0"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
