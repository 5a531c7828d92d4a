package io.qfence.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
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

    /**
     * The table of DESIGN §1, row by row. Each adapter package is a layer of its own, so that one adapter cannot
     * quietly build on another (the guest adapter once used the cgroup adapter, {@code realize} and the plan's
     * snapshot format): adapters use {@code host}, {@code model} and {@code platform.os} only. So does
     * {@code platform.sandbox}, which gets the adapters of its private namespace from the composition root
     * ({@code NetnsSandbox.create(..., SandboxAdapters)}); nothing but {@code app} uses it or any adapter.
     */
    @Test
    void layersOnlyDependInward() {
        layeredArchitecture().consideringOnlyDependenciesInLayers().withOptionalLayers(true)
                .layer("model").definedBy("io.qfence.model..")
                .layer("source").definedBy("io.qfence.source..")
                .layer("realize").definedBy("io.qfence.realize..")
                .layer("plan").definedBy("io.qfence.plan..")
                .layer("host").definedBy("io.qfence.host..")
                .layer("platform.os").definedBy("io.qfence.platform.os..")
                .layer("platform.netlink").definedBy("io.qfence.platform.netlink..")
                .layer("platform.nft").definedBy("io.qfence.platform.nft..")
                .layer("platform.cgroup").definedBy("io.qfence.platform.cgroup..")
                .layer("platform.qemu").definedBy("io.qfence.platform.qemu..")
                .layer("platform.sandbox").definedBy("io.qfence.platform.sandbox..")
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
                .whereLayer("platform.sandbox").mayOnlyBeAccessedByLayers("app")
                .whereLayer("platform.sandbox").mayOnlyAccessLayers(ADAPTER_MAY_USE)
                .whereLayer("platform.netlink").mayOnlyBeAccessedByLayers("app")
                .whereLayer("platform.netlink").mayOnlyAccessLayers(ADAPTER_MAY_USE)
                .whereLayer("platform.nft").mayOnlyBeAccessedByLayers("app")
                .whereLayer("platform.nft").mayOnlyAccessLayers(ADAPTER_MAY_USE)
                .whereLayer("platform.cgroup").mayOnlyBeAccessedByLayers("app")
                .whereLayer("platform.cgroup").mayOnlyAccessLayers(ADAPTER_MAY_USE)
                .whereLayer("platform.qemu").mayOnlyBeAccessedByLayers("app")
                .whereLayer("platform.qemu").mayOnlyAccessLayers(ADAPTER_MAY_USE)
                .whereLayer("platform.os").mayOnlyBeAccessedByLayers(
                        "platform.netlink", "platform.nft", "platform.cgroup", "platform.qemu", "platform.sandbox", "app")
                .whereLayer("platform.os").mayOnlyAccessLayers("host", "model")
                .whereLayer("host").mayOnlyBeAccessedByLayers("platform.os", "platform.netlink", "platform.nft", "platform.cgroup",
                        "platform.qemu", "platform.sandbox", "apply", "engine", "verify", "daemon", "cli", "app")
                .whereLayer("plan").mayOnlyBeAccessedByLayers("host", "apply", "engine", "verify", "daemon", "cli", "app")
                .whereLayer("realize").mayOnlyBeAccessedByLayers("plan", "engine", "verify", "daemon", "cli", "app")
                .whereLayer("source").mayOnlyBeAccessedByLayers("engine", "daemon", "cli", "app")
                .check(classes);
    }

    private static final String[] ADAPTER_MAY_USE = {"host", "model", "platform.os"};

    /**
     * What the kernel can do is found out in one place, {@code app.LiveHostFacts}, for the live host and for every
     * sandbox of verify and demo alike: a second detector once hard-coded the nft families and seccomp and checked the
     * I/O weights its own way, so a sandbox could pass what the live host would refuse. The probes are called there
     * only, and detected facts are built there only ({@code cli.FactsChoice} builds the facts a user assumes, from a
     * file).
     */
    @Test
    void hostFactsAreDetectedInOnePlace() {
        String detector = "io.qfence.app.LiveHostFacts";
        noClasses().that().doNotHaveFullyQualifiedName(detector)
                // its own cache, for the link adapter's error messages
                .and().doNotHaveFullyQualifiedName("io.qfence.platform.netlink.LinkCapabilities")
                .should().callMethod("io.qfence.platform.netlink.LinkCapabilities", "detected")
                .orShould().callMethod("io.qfence.platform.nft.NftFirewall", "families")
                .orShould().callMethod("io.qfence.platform.cgroup.CgroupFsPort", "ioWeight", "io.qfence.platform.cgroup.CgroupLayout")
                .because("the live host and every sandbox must agree about the kernel")
                .check(classes);
        noClasses().that().doNotHaveFullyQualifiedName(detector).and().doNotHaveFullyQualifiedName("io.qfence.cli.FactsChoice")
                .and().resideOutsideOfPackage("io.qfence.model..")
                .should().callConstructor("io.qfence.model.host.HostFacts", "io.qfence.model.host.CgroupVersion", "java.util.Set")
                .because("detected facts come from the one detector")
                .check(classes);
    }

    /**
     * The reconcile daemon is assembled from parts the composition root gives it ({@code daemon.DaemonCollaborators}):
     * outside {@code app}, nothing takes the daemon's lock, opens the Git cache or the journal, starts the scheduler, the
     * HTTP server or the control-file watcher, or makes a rate limiter, the metrics, the outbound HTTP client or its thread;
     * the daemon takes the state lock
     * only through what the root gives it; and the daemon's cycle (package {@code daemon}) reads no clock of its own.
     */
    @Test
    void onlyTheCompositionRootBuildsTheDaemonsParts() {
        noClasses().that().resideOutsideOfPackage("io.qfence.app..")
                .should().callMethod("io.qfence.daemon.git.GitMirror", "open", "java.nio.file.Path", "io.qfence.daemon.git.RemoteSpec",
                        "java.util.function.LongSupplier")
                .orShould().callMethod("io.qfence.daemon.journal.Journal", "open", "java.nio.file.Path")
                .orShould().callMethod("io.qfence.daemon.CycleScheduler", "start", "io.qfence.daemon.CycleScheduler$Runner",
                        "io.qfence.daemon.Trigger")
                .orShould().callMethod("io.qfence.daemon.http.OperatorServer", "start", "io.qfence.daemon.http.OperatorServer$Bind",
                        "io.prometheus.metrics.model.registry.PrometheusRegistry", "io.qfence.daemon.http.Readiness", "java.util.Optional")
                .orShould().callConstructor("io.qfence.daemon.http.RateLimiter", "io.qfence.daemon.http.RateLimiter$Buckets",
                        "java.util.function.LongSupplier")
                .orShould().callMethod("io.qfence.daemon.control.DaemonLock", "acquire", "java.nio.file.Path", "java.lang.String")
                .orShould().callMethod("io.qfence.daemon.control.ControlWatcher", "start", "java.nio.file.Path", "java.lang.Runnable")
                .orShould().callMethod("io.qfence.daemon.metrics.QfenceMetrics", "create")
                .orShould().callMethod("io.qfence.daemon.notify.JdkHttpPoster", "create")
                .orShould().callMethod("io.qfence.daemon.notify.Outbox", "threadedTimer")
                .because("the daemon decides when to use its parts, the composition root which ones")
                .check(classes);
        // the engine takes the state lock for qfence apply and for the daemon's engine cycles; the daemon itself only
        // through the lock the root gives it
        noClasses().that().resideInAPackage("io.qfence.daemon..")
                .should().callMethod("io.qfence.apply.StateLock", "acquire", "java.nio.file.Path", "java.lang.String")
                .because("the daemon's state lock comes from the composition root")
                .check(classes);
        // CycleScheduler is the Quartz adapter: Quartz fires at the system's time, so its triggers are written in it;
        // everywhere else in the daemon (the Git cache's fetch deadlines too) the clocks are the root's
        noClasses().that().resideInAPackage("io.qfence.daemon..")
                .and().doNotHaveFullyQualifiedName("io.qfence.daemon.CycleScheduler")
                .should().callMethod("java.lang.System", "nanoTime")
                .orShould().callMethod("java.lang.System", "currentTimeMillis")
                .orShould().callMethod("java.time.Instant", "now")
                .orShould().callMethod("java.time.Clock", "systemUTC")
                .because("time is a parameter: the wall and monotonic clocks come from the composition root")
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

    /**
     * One simple name, one meaning: two {@code Approval}s (a prompt's answer in {@code engine}, an operator's
     * permission for a commit in {@code daemon.control}), two {@code CycleRequest}s and two {@code LiveHost}s once
     * meant different things in different packages. Nested types have rules of their own
     * ({@link #everyNestedTypeHasANameThatSaysOneThing}).
     */
    @Test
    void everyTopLevelClassHasASimpleNameNoOtherOneHas() {
        Map<String, List<String>> byName = classes.stream().filter(LayeringTest::named)
                .collect(Collectors.groupingBy(JavaClass::getSimpleName, TreeMap::new,
                        Collectors.mapping(JavaClass::getName, Collectors.toList())));
        classes().that().areTopLevelClasses()
                .should(new ArchCondition<JavaClass>("have a simple name that no other top-level class in src/main has") {
                    @Override
                    public void check(JavaClass type, ConditionEvents events) {
                        if (!named(type)) {
                            return;
                        }
                        List<String> same = byName.get(type.getSimpleName());
                        boolean unique = same.size() == 1;
                        events.add(new SimpleConditionEvent(type, unique, type.getName() + " shares its simple name with "
                                + same.stream().filter(n -> !n.equals(type.getName())).sorted().toList()));
                    }
                })
                .check(classes);
    }

    /**
     * Nested types, by the same aim: a name read in a file means one thing. Two rules.
     * <ol>
     *   <li>No nested type, private or not, has the simple name of a top-level type: inside its file it hides that
     *       type (a {@code Principal.SingleVm} next to {@code model.desired.Vm} made {@code Vm} mean two things in
     *       {@code realize}), and a file that imports both must qualify one.</li>
     *   <li>A nested type that can be named outside its own file (not private) has a simple name no other such type
     *       has: once imported it is read bare ({@code CycleRecord.Outcome} was imported as {@code Outcome} next to
     *       {@code engine.Cycle.EngineOutcome}). Private nested types are exempt: they cannot be named or imported outside
     *       their top-level class, so they are always read with the class that gives them their meaning in view (two
     *       private {@code Key} records, each the map key of its own class).</li>
     * </ol>
     * Anonymous and local classes have no name to confuse. {@link #NESTED_PENDING} lists the types that a parallel
     * change rewrites, each with that change; an entry that no longer finds its type fails, so the list only shrinks.
     */
    @Test
    void everyNestedTypeHasANameThatSaysOneThing() {
        Set<String> topLevel = classes.stream().filter(LayeringTest::named).map(JavaClass::getSimpleName).collect(Collectors.toSet());
        Map<String, List<String>> visible = classes.stream().filter(LayeringTest::namedNested)
                .filter(c -> !c.getModifiers().contains(JavaModifier.PRIVATE))
                .collect(Collectors.groupingBy(JavaClass::getSimpleName, TreeMap::new, Collectors.mapping(JavaClass::getName, Collectors.toList())));
        List<String> violations = new ArrayList<>();
        Set<String> pendingSeen = new TreeSet<>();
        for (JavaClass type : classes.stream().filter(LayeringTest::namedNested).sorted(Comparator.comparing(JavaClass::getName)).toList()) {
            List<String> problems = new ArrayList<>();
            if (topLevel.contains(type.getSimpleName())) {
                problems.add("has the simple name of a top-level type");
            }
            List<String> same = visible.getOrDefault(type.getSimpleName(), List.of());
            if (!type.getModifiers().contains(JavaModifier.PRIVATE) && same.size() > 1) {
                problems.add("shares its simple name with " + same.stream().filter(n -> !n.equals(type.getName())).sorted().toList());
            }
            if (problems.isEmpty()) {
                continue;
            }
            if (NESTED_PENDING.containsKey(type.getName())) {
                pendingSeen.add(type.getName());
            } else {
                violations.add(type.getName() + " " + String.join(" and ", problems));
            }
        }
        assertThat(violations).as("nested types whose simple name means two things").isEmpty();
        assertThat(pendingSeen).as("pending entries whose type is gone or fine now: remove them from NESTED_PENDING")
                .containsExactlyInAnyOrderElementsOf(NESTED_PENDING.keySet());
    }

    /** Nested types a parallel change of issue 15 rewrites; renamed after it merges, to keep the merge small. */
    private static final Map<String, String> NESTED_PENDING = Map.of();

    /** A member type with a name of its own: not anonymous, not local, not synthetic (a switch map's {@code $1}). */
    private static boolean namedNested(JavaClass type) {
        return type.isMemberClass() && !type.getSimpleName().isEmpty() && !Character.isDigit(type.getSimpleName().charAt(0));
    }

    /** A real top-level class, not a {@code package-info}. */
    private static boolean named(JavaClass type) {
        return type.isTopLevelClass() && !type.getSimpleName().equals("package-info");
    }
}
