package io.qfence.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point inward: model at the centre, pure realization and planning around it, ports, then the
 * adapters and the application layers. The planner and realizer never see I/O, and only the composition root
 * ({@code app}) knows the concrete adapters.
 */
class LayeringTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.qfence");
    }

    @Test
    void layersOnlyDependInward() {
        layeredArchitecture().consideringOnlyDependenciesInLayers().withOptionalLayers(true)
                .layer("model").definedBy("io.qfence.model..")
                .layer("source").definedBy("io.qfence.source..")
                .layer("realize").definedBy("io.qfence.realize..")
                .layer("plan").definedBy("io.qfence.plan..")
                .layer("host").definedBy("io.qfence.host..")
                .layer("platform").definedBy("io.qfence.platform..")
                .layer("apply").definedBy("io.qfence.apply..")
                .layer("engine").definedBy("io.qfence.engine..")
                .layer("verify").definedBy("io.qfence.verify..")
                .layer("daemon").definedBy("io.qfence.daemon..")
                .layer("cli").definedBy("io.qfence.cli..")
                .layer("app").definedBy("io.qfence.app..")
                .whereLayer("app").mayNotBeAccessedByAnyLayer()
                .whereLayer("cli").mayOnlyBeAccessedByLayers("app")
                .whereLayer("daemon").mayOnlyBeAccessedByLayers("cli", "app")
                .whereLayer("verify").mayOnlyBeAccessedByLayers("cli", "app")
                .whereLayer("engine").mayOnlyBeAccessedByLayers("verify", "daemon", "cli", "app")
                .whereLayer("apply").mayOnlyBeAccessedByLayers("engine", "verify", "daemon", "cli", "app")
                .whereLayer("platform").mayOnlyBeAccessedByLayers("app")
                .whereLayer("host").mayOnlyBeAccessedByLayers("platform", "apply", "engine", "verify", "daemon", "cli", "app")
                .whereLayer("plan").mayOnlyBeAccessedByLayers("host", "apply", "engine", "verify", "daemon", "cli", "app", "platform")
                .whereLayer("realize").mayOnlyBeAccessedByLayers("plan", "apply", "engine", "verify", "daemon", "cli", "app", "platform")
                .whereLayer("source").mayOnlyBeAccessedByLayers("engine", "daemon", "cli", "app")
                .check(classes);
    }

    @Test
    void modelUsesOnlyTheJdk() {
        classes().that().resideInAPackage("io.qfence.model..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.qfence.model..", "java..")
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void realizationAndPlanningDoNoIo() {
        noClasses().that().resideInAnyPackage("io.qfence.realize..", "io.qfence.plan..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "java.nio.file..", "java.net..", "java.nio.channels..",
                        "jnr..", "org.eclipse.jgit..", "io.qfence.platform..", "io.qfence.host..")
                .orShould().dependOnClassesThat().haveNameMatching("java\\.io\\.(File|Random|Console|PrintStream).*")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.System")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.ProcessBuilder")
                .because("realization and planning are pure functions; only their callers do I/O")
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void nativeBindingsStayInsideThePlatformAdapters() {
        noClasses().that().resideOutsideOfPackage("io.qfence.platform..")
                .should().dependOnClassesThat().resideInAnyPackage("jnr..", "com.kenai..")
                .allowEmptyShould(true)
                .check(classes);
    }
}
