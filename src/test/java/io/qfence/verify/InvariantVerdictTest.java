package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.realize.InvariantCheck.Demand;
import io.qfence.testing.Golden;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * verify's invariants (DESIGN.md §18, "Proven live") on the bundled desired state, without a sandbox: which cells
 * each invariant gets, and its verdict over observations given here.
 */
class InvariantVerdictTest {

    static final ProbePlan PLAN = Bundled.INVARIANT_PLAN;

    /** Every cell observed as the relation expects, except the cells {@code leak} selects, observed reached. */
    static List<VerifyReport.CellResult> observed(Predicate<ProbeCell> leak) {
        List<VerifyReport.CellResult> out = new ArrayList<>();
        for (ProbeCell c : PLAN.cells()) {
            boolean reached = c.expected() || leak.test(c);
            out.add(new VerifyReport.CellResult(c, reached, false, reached ? c.banner().isEmpty() ? "echo reply" : c.banner() : "no answer"));
        }
        return out;
    }

    static List<InvariantVerdict> judge(List<VerifyReport.CellResult> results) {
        return InvariantVerdict.judge(Bundled.STATE, Bundled.RELATION, PLAN.queries(), results);
    }

    @Test
    void everyBundledInvariantIsCoveredByProbesAndProvenWhenEveryCellIsAsExpected() {
        List<InvariantVerdict> verdicts = judge(observed(c -> false));
        assertThat(verdicts).extracting(InvariantVerdict::name).containsExactly("db-not-from-internet", "ci-never-reaches-db",
                "no-ssh-to-the-host", "db-only-from-web", "app-reaches-database", "few-ways-into-db");
        assertThat(verdicts).allSatisfy(v -> assertThat(v.verdict()).as(v.summary()).isEqualTo(InvariantVerdict.Proof.PROVEN));
        System.out.println("MEASURE invariant cells: " + verdicts.stream().map(v -> v.name() + " " + v.cells().size())
                .collect(Collectors.joining(", ")) + "; matrix " + Bundled.PLAN.cells().size() + " -> " + PLAN.cells().size() + " cells");
    }

    @Test
    void eachInvariantHasAConcreteProbePerPairOfEndpointsItCoversIncludingTheHostAndTheOutside() {
        Map<String, Set<String>> pairs = new LinkedHashMap<>();
        for (InvariantVerdict v : judge(observed(c -> false))) {
            pairs.put(v.name(), v.cells().stream().map(c -> c.result().cell().source() + " -> " + c.result().cell().target())
                    .collect(Collectors.toCollection(LinkedHashSet::new)));
        }
        Set<String> db = Set.of("db-bastion", "db-main", "db-replica");
        Set<String> ci = Set.of("ci-bastion", "ci-builder"); // ci-runner is user-mode: no address in the ci subnet
        String stranger = "outside " + Bundled.WORLD.stranger();
        // the internet: the stranger (no flow lets it in, so only the invariant's cells probe it) to every db VM
        for (String d : db) {
            assertThat(pairs.get("db-not-from-internet")).contains(stranger + " -> " + d);
            assertThat(pairs.get("db-only-from-web")).contains(stranger + " -> " + d);
            assertThat(pairs.get("few-ways-into-db")).contains(stranger + " -> " + d);
            for (String c : ci) {
                assertThat(pairs.get("ci-never-reaches-db")).contains(c + " -> " + d);
            }
        }
        // an exposure's allowed block is outside too: its client toward every db VM
        String office = "outside " + Bundled.WORLD.outsideInside().values().iterator().next();
        for (String d : db) {
            assertThat(pairs.get("db-not-from-internet")).contains(office + " -> " + d);
        }
        // the host: every guest, at every address of the host it can use
        assertThat(pairs.get("no-ssh-to-the-host")).contains("web-app-1 -> host " + Bundled.WORLD.hostAddress(),
                "ci-builder -> host " + Bundled.WORLD.hostAddress(), "ci-runner -> host loopback (slirp 10.0.2.2)");
        assertThat(pairs.get("app-reaches-database")).containsExactly("web-app-1 -> db-main");
        // deny on one port: only that port's cells
        assertThat(judge(observed(c -> false)).get(2).cells()).allSatisfy(c -> assertThat(c.result().cell().service()).isEqualTo("tcp 22"));
        // what the invariants add is bounded: outside clients toward what they cover
        assertThat(PLAN.cells().size() - Bundled.PLAN.cells().size()).isBetween(1, 60);
    }

    @Test
    void aLeakTheInvariantDeniesBreaksExactlyThatInvariantNamingTheProbe() {
        String host = "host " + Bundled.WORLD.hostAddress();
        List<InvariantVerdict> verdicts = judge(observed(c -> c.source().equals("web-app-1") && c.target().equals(host) && c.service().equals("tcp 22")));
        assertThat(verdicts).filteredOn(v -> v.verdict() == InvariantVerdict.Proof.BROKEN).extracting(InvariantVerdict::name)
                .containsExactly("no-ssh-to-the-host");
        InvariantVerdict broken = verdicts.get(2);
        assertThat(broken.breaking()).hasSize(1).allSatisfy(c -> {
            assertThat(c.demand()).isEqualTo(Demand.UNREACHED);
            assertThat(c.describe()).startsWith("web-app-1 -> " + host + " tcp 22 (c").contains("observed reached, required not reached: QF-HOST-OK");
        });
    }

    @Test
    void aRequiredServiceThatDoesNotAnswerBreaksItsRequireInvariant() {
        List<VerifyReport.CellResult> results = observed(c -> false).stream().map(r -> r.cell().source().equals("web-app-1")
                && r.cell().target().equals("db-main") && r.cell().service().equals("tcp 5432")
                ? new VerifyReport.CellResult(r.cell(), false, false, "no answer") : r).toList();
        assertThat(judge(results)).filteredOn(v -> v.verdict() == InvariantVerdict.Proof.BROKEN).extracting(InvariantVerdict::name)
                .containsExactly("app-reaches-database");
    }

    @Test
    void moreFlowsIntoALimitedSelectorThanItsMaximumBreakTheLimit() {
        // the stranger reaching every db VM on 5432: three flows more than the relation has
        List<InvariantVerdict> verdicts = judge(observed(c -> c.source().equals("outside " + Bundled.WORLD.stranger())
                && c.target().startsWith("db-") && c.service().equals("tcp 5432")));
        assertThat(verdicts).filteredOn(v -> v.verdict() == InvariantVerdict.Proof.BROKEN).extracting(InvariantVerdict::name)
                .containsExactly("db-not-from-internet", "db-only-from-web", "few-ways-into-db");
    }

    static VerifyReport report(List<VerifyReport.CellResult> results) {
        Map<String, Duration> phases = new LinkedHashMap<>();
        phases.put("sandbox", Duration.ofMillis(300));
        phases.put("probes", Duration.ofMillis(18400));
        VerifyReport r = new VerifyReport("hv1", "dir:desired-state", "qfence-verify-0000test", Bundled.WORLD, results, Map.of(), phases, 1,
                List.of("removed /tmp/qfence-verify-0000test"));
        return r.judged(judge(results));
    }

    @Test
    void verdictsAreRenderedInTextJsonAndMarkdownAndABrokenOneFailsTheRun() {
        String host = "host " + Bundled.WORLD.hostAddress();
        VerifyReport proven = report(observed(c -> false));
        assertThat(proven.passed()).isTrue();
        String text = MatrixRenderer.text(proven, false);
        Golden.assertMatches("verify/invariants-proven.txt", text.substring(text.indexOf("Invariants,")));

        VerifyReport broken = report(observed(c -> c.source().equals("web-app-1") && c.target().equals(host) && c.service().equals("tcp 22")));
        assertThat(broken.passed()).isFalse();
        assertThat(broken.brokenInvariants()).extracting(InvariantVerdict::name).containsExactly("no-ssh-to-the-host");
        String brokenText = MatrixRenderer.text(broken, false);
        Golden.assertMatches("verify/invariants-broken.txt", brokenText.substring(brokenText.indexOf("Mismatches")));
        String md = MatrixRenderer.markdown(broken);
        Golden.assertMatches("verify/invariants-broken.md", md.substring(0, md.indexOf("<details>")));
        String json = MatrixRenderer.json(broken);
        Golden.assertMatches("verify/invariants-broken.json", json.substring(json.indexOf("  \"broken_invariants\""), json.indexOf("  \"teardown\"")));
    }

    /**
     * An outside block only an invariant names (no flow does) gets a stand-in in the outside namespace, and cells from
     * it toward what the invariant covers: the invariant is proven, not untested.
     */
    @Test
    void anOutsideBlockOnlyAnInvariantNamesGetsAStandInAndItsProbes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path copy)
            throws Exception {
        java.nio.file.Path bundled = java.nio.file.Path.of("desired-state");
        try (var files = java.nio.file.Files.walk(bundled)) {
            for (java.nio.file.Path f : files.toList()) {
                java.nio.file.Path to = copy.resolve(bundled.relativize(f).toString());
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(to);
                } else {
                    java.nio.file.Files.copy(f, to);
                }
            }
        }
        java.nio.file.Path policy = copy.resolve("policies/isolation.yaml");
        java.nio.file.Files.writeString(policy, java.nio.file.Files.readString(policy) + """
                    - name: partners-never-reach-db
                      reason: the partner network has no business with the databases
                      deny:
                        from: 100.80.0.0/16
                        to: group:db
                """);
        io.qfence.model.desired.DesiredState state = io.qfence.source.DesiredStateLoader.loadDirectory(copy,
                java.time.Clock.fixed(Bundled.TODAY.atStartOfDay().toInstant(java.time.ZoneOffset.UTC), java.time.ZoneOffset.UTC)).state().orElseThrow();
        io.qfence.model.Ipv4Cidr partners = io.qfence.model.Ipv4Cidr.parse("100.80.0.0/16");

        ProbeWorld world = ProbeWorld.choose(Bundled.REALIZATION.policy(), InvariantVerdict.namedBlocks(state));
        ProbePlan plan = ProbePlan.of(Bundled.REALIZATION.policy(), Bundled.RELATION, world, InvariantVerdict.coverage(state, Bundled.RELATION));
        List<VerifyReport.CellResult> results = plan.cells().stream()
                .map(c -> new VerifyReport.CellResult(c, c.expected(), false, c.expected() ? "answer" : "no answer")).toList();
        InvariantVerdict partnersVerdict = InvariantVerdict.judge(state, Bundled.RELATION, plan.queries(), results).stream()
                .filter(v -> v.name().equals("partners-never-reach-db")).findFirst().orElseThrow();

        assertThat(world.prefixes()).containsKey(partners);
        assertThat(world.outsideAddresses()).contains(world.prefixes().get(partners));
        assertThat(partnersVerdict.verdict()).as(partnersVerdict.summary()).isEqualTo(InvariantVerdict.Proof.PROVEN);
        assertThat(partnersVerdict.cells()).extracting(c -> c.result().cell().source() + " -> " + c.result().cell().target())
                .contains("outside " + world.prefixes().get(partners) + " -> db-main");
        // the block stands apart from the internet and the stranger, which must lie in no named block
        assertThat(partners.contains(world.internet())).isFalse();
        assertThat(partners.contains(world.stranger())).isFalse();
    }
}
