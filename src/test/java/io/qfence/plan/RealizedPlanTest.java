package io.qfence.plan;

import static io.qfence.plan.PlanAssert.assertThat;

import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plans between real realizations of the example desired state and edits of it, as pull requests make them: every
 * plan is fail-closed, executes on the kernel-like in-memory host, and leaves nothing to do.
 */
class RealizedPlanTest {

    static final LocalDate TODAY = LocalDate.of(2026, 6, 1);

    /** One edit of the example: file (relative to desired-state/) → text replacement; an empty replacement deletes the file. */
    record Edit(String name, Map<String, UnaryOperator<String>> files) {
        @Override
        public String toString() {
            return name;
        }
    }

    static UnaryOperator<String> replace(String from, String to) {
        return s -> {
            if (!s.contains(from)) {
                throw new AssertionError("the example no longer contains: " + from);
            }
            return s.replace(from, to);
        };
    }

    static Stream<Arguments> edits() {
        List<Edit> edits = List.of(
                new Edit("db-main gets more memory", Map.of("groups/db.yaml",
                        replace("    - name: db-main\n      cpus: 1\n      memory: 96Mi", "    - name: db-main\n      cpus: 1\n      memory: 128Mi"))),
                new Edit("db-replica is stopped", Map.of("groups/db.yaml", replace("    - name: db-replica\n", "    - name: db-replica\n      state: stopped\n"))),
                new Edit("web is microsegmented", Map.of("groups/web.yaml", replace("intraGroup: allow", "intraGroup: deny"))),
                new Edit("web-app-1 may reach db-replica", Map.of("groups/web.yaml", replace("    allow:\n",
                        "    allow:\n      - from: web-app-1\n        to: db-replica\n        protocol: tcp\n        ports: [5432]\n"))),
                new Edit("the ci group is removed", Map.of("hosts/hv1.yaml", replace("groups: [web, db, ci]", "groups: [web, db]"),
                        "groups/ci.yaml", s -> "")),
                new Edit("cgroups move to another parent", Map.of("hosts/hv1.yaml", replace("cgroupParent: qfence.slice", "cgroupParent: vms.slice"))),
                new Edit("web narrows and widens at once", Map.of("groups/web.yaml", replace("intraGroup: allow", "intraGroup: deny")
                        .andThen(replace("    allow:\n", "    allow:\n      - from: web-app-1\n        to: db-replica\n        protocol: tcp\n        ports: [5432]\n"))::apply)));
        HostFacts v1 = new HostFacts(CgroupVersion.V1, EnumSet.complementOf(EnumSet.of(io.qfence.model.host.Capability.APPARMOR,
                io.qfence.model.host.Capability.KVM, io.qfence.model.host.Capability.VLAN_8021Q)));
        return edits.stream().flatMap(e -> Stream.of(Arguments.of(e, HostFacts.TYPICAL), Arguments.of(e, v1)));
    }

    static List<HostObject> realize(Path dir, HostFacts facts) {
        var loaded = DesiredStateLoader.loadDirectory(dir, java.time.Clock.fixed(TODAY.atStartOfDay(java.time.ZoneOffset.UTC).toInstant(),
                java.time.ZoneOffset.UTC));
        return Realizer.realize(loaded.state().orElseThrow(() -> new AssertionError(loaded.diagnostics().toString())), "hv1", facts, TODAY).objects();
    }

    static Path copy(Path to, Edit edit) {
        try {
            Path from = Path.of("desired-state");
            try (Stream<Path> files = Files.walk(from)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String rel = from.relativize(f).toString();
                    String text = Files.readString(f);
                    if (edit != null && edit.files().containsKey(rel)) {
                        text = edit.files().get(rel).apply(text);
                    }
                    if (!text.isEmpty()) {
                        Files.createDirectories(to.resolve(rel).getParent());
                        Files.writeString(to.resolve(rel), text);
                    }
                }
            }
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void planApplyAndReplan(List<HostObject> from, List<HostObject> to) {
        List<HostObject> observed = Scenario.asObserved(from);
        Plan plan = Planner.plan(to, new ObservedHost("hv1", HostFacts.TYPICAL, observed, List.of(), List.of(), List.of()),
                PlanOptions.withLastApplied(from));

        assertThat(plan).isNotEmpty().isFailClosed(to, observed);
        InMemoryHost host = new InMemoryHost(observed, to);
        host.apply(plan);
        assertThat(Planner.plan(to, host.observe())).isEmpty();
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("edits")
    void editsAndTheirReversalsPlanFailClosedAndConverge(Edit edit, HostFacts facts, @TempDir Path tmp) {
        List<HostObject> base = realize(copy(tmp.resolve("base"), null), facts);
        List<HostObject> edited = realize(copy(tmp.resolve("edited"), edit), facts);

        planApplyAndReplan(base, edited);
        planApplyAndReplan(edited, base);
        planApplyAndReplan(List.of(), edited);
        planApplyAndReplan(edited, List.of());
    }
}
