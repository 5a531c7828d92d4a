package io.qfence.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.QfenceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One closed error vocabulary across the ports (DESIGN §2): the adapters' own exceptions (a netlink error reply,
 * libnftables' error buffer, a failed system call, a QEMU monitor's answer) stay inside the adapters, and a port says
 * what it throws in the model's words, {@link HostPortException}.
 */
class ErrorVocabularyTest {

    private static final String PLATFORM = "io.qfence.platform..";
    private static final String[] ADAPTERS = {"io.qfence.platform.netlink..", "io.qfence.platform.nft..", "io.qfence.platform.cgroup..",
            "io.qfence.platform.qemu..", "io.qfence.platform.sandbox.."};

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.qfence");
    }

    private static final DescribedPredicate<JavaClass> PLATFORM_EXCEPTION = DescribedPredicate.describe("an exception of the platform",
            c -> c.isAssignableTo(Throwable.class) && c.getPackageName().startsWith("io.qfence.platform"));

    /** Nothing above the adapters names one of their exceptions: not to catch it, not to throw it, not to wrap it. */
    @Test
    void noClassOutsideThePlatformUsesAnExceptionOfIt() {
        noClasses().that().resideOutsideOfPackage(PLATFORM)
                .should().dependOnClassesThat(PLATFORM_EXCEPTION)
                .because("adapters translate their exceptions into HostPortException at their edge")
                .check(classes);
    }

    /**
     * Each adapter's exceptions are its own: package-private, so that neither another adapter nor anything above can
     * use them. Only the libc boundary's {@code OsException} is public, for the adapters built on {@code platform.os}.
     */
    @Test
    void eachAdaptersExceptionsArePrivateToItsPackage() {
        classes().that().areAssignableTo(Throwable.class).and().resideInAnyPackage(ADAPTERS)
                .should().notBePublic()
                .because("an adapter's exception must not cross its port")
                .allowEmptyShould(true)
                .check(classes);
    }

    /**
     * No public method of the platform mentions an adapter's exception in its signature (its result, its parameters,
     * its throws clause), so that what an adapter offers its callers (the ports it implements, the factories the
     * composition root calls) carries only the model's failures. The libc boundary's {@code OsException} is for the
     * adapters built on it, never in the signature of a class that implements a port.
     */
    @Test
    void noPublicSignatureOfThePlatformMentionsItsExceptions() {
        methods().that().areDeclaredInClassesThat().resideInAPackage(PLATFORM).and().areDeclaredInClassesThat().arePublic()
                .and().arePublic()
                .should(new ArchCondition<JavaMethod>("not mention an exception of the platform in their signature") {
                    @Override
                    public void check(JavaMethod method, ConditionEvents events) {
                        List<JavaType> types = new ArrayList<>(method.getParameterTypes());
                        types.add(method.getReturnType());
                        Set<JavaClass> involved = types.stream().flatMap(t -> t.getAllInvolvedRawTypes().stream()).collect(Collectors.toSet());
                        involved.addAll(method.getThrowsClause().getTypes());
                        List<String> named = involved.stream().filter(PLATFORM_EXCEPTION).map(JavaClass::getName).sorted()
                                .filter(n -> !n.equals("io.qfence.platform.os.OsException") || crossesAPort(method))
                                .toList();
                        events.add(new SimpleConditionEvent(method, named.isEmpty(), method.getFullName() + " mentions " + named));
                    }
                })
                .check(classes);
    }

    /** Whether the method's class implements a port (an interface of {@code io.qfence.host}). */
    private static boolean crossesAPort(JavaMethod method) {
        return method.getOwner().getAllRawInterfaces().stream().anyMatch(i -> i.getPackageName().equals("io.qfence.host"));
    }

    /**
     * The vocabulary is closed: a sealed root whose kinds are final, so that {@code cli.ExitCodes} can decide an exit
     * code and a message for each (ExitCodesTest checks that it does).
     */
    @Test
    void theVocabularyIsClosed() {
        classes().that().areAssignableTo(QfenceException.class).and().doNotHaveFullyQualifiedName(QfenceException.class.getName())
                .should().haveModifier(JavaModifier.FINAL)
                .andShould().resideInAPackage("io.qfence.model.errors")
                .check(classes);
    }
}
