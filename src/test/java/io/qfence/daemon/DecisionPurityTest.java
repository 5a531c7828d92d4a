package io.qfence.daemon;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The daemon's decision is pure, as DESIGN §15 says: {@link CycleDecider} and the values it reads and returns touch
 * no clock, file, socket, Git, log or metric, and never ask for the time ({@code now} is a parameter). The executors
 * do all of that.
 */
class DecisionPurityTest {

    /** The decision and its vocabulary, by simple name of the top-level class. */
    static final Set<String> DECISION = Set.of("CycleDecider", "CycleDecision", "CycleFacts", "Verdict",
            "ExceptionExpiry");

    static final DescribedPredicate<JavaClass> DECISION_CLASSES = DescribedPredicate.describe(
            "the daemon's decision classes", c -> c.getPackageName().equals("io.qfence.daemon")
                    && DECISION.contains(c.getName().substring("io.qfence.daemon.".length()).split("\\$")[0]));

    private static JavaClasses classes;

    @BeforeAll
    static void importDaemon() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.qfence.daemon");
    }

    @Test
    void theDecisionTouchesNoClockFileSocketGitLogOrMetric() {
        noClasses().that(DECISION_CLASSES).should().dependOnClassesThat()
                .resideInAnyPackage("java.io..", "java.nio..", "java.net..", "java.util.random..", "java.util.concurrent..",
                        "org.eclipse.jgit..", "org.slf4j..", "io.prometheus..", "org.quartz..", "io.qfence.platform..",
                        "io.qfence.daemon.metrics..", "io.qfence.daemon.http..")
                .orShould().dependOnClassesThat().areAssignableTo(Clock.class)
                .orShould().dependOnClassesThat().haveSimpleNameEndingWith("Journal")
                .check(classes);
    }

    @Test
    void theDecisionNeverAsksForTheTime() {
        noClasses().that(DECISION_CLASSES).should().callMethod(System.class, "nanoTime")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(Instant.class, "now")
                .orShould().callMethod(LocalDate.class, "now")
                .check(classes);
    }

    @Test
    void theDecisionClassesExist() {
        org.assertj.core.api.Assertions.assertThat(classes.stream().filter(DECISION_CLASSES).map(JavaClass::getSimpleName))
                .contains("CycleDecider", "CycleFacts", "Decisions", "ApplyRevision", "CheckHost", "Ready", "Blocked");
    }
}
