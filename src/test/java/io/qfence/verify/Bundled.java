package io.qfence.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.host.Capability;
import io.qfence.model.host.CgroupVersion;
import io.qfence.model.host.HostFacts;
import io.qfence.realize.Reachability;
import io.qfence.realize.ReachabilityRelation;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.LoadResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumSet;

/** The bundled {@code desired-state/}, realized for a host like the test machines, and its probe plan. */
final class Bundled {

    static final LocalDate TODAY = LocalDate.of(2026, 3, 1);
    static final HostFacts FACTS = new HostFacts(CgroupVersion.V1, EnumSet.of(Capability.BRIDGE, Capability.TUN, Capability.VETH,
            Capability.BR_NETFILTER, Capability.NFT_INET, Capability.NFT_BRIDGE, Capability.SECCOMP,
            Capability.NAMESPACES));

    static final DesiredState STATE = load();
    static final Realization REALIZATION = Realizer.realize(STATE, "hv1", FACTS, TODAY);
    static final ReachabilityRelation RELATION = Reachability.of(REALIZATION);
    static final ProbeWorld WORLD = ProbeWorld.choose(REALIZATION.policy());
    static final ProbePlan PLAN = ProbePlan.of(REALIZATION.policy(), RELATION, WORLD);
    /** The plan verify probes: the matrix with the cells the invariants of {@code policies/} add. */
    static final ProbePlan INVARIANT_PLAN = ProbePlan.of(REALIZATION.policy(), RELATION, WORLD, InvariantVerdict.coverage(STATE, RELATION));

    private Bundled() {}

    private static DesiredState load() {
        LoadResult loaded = DesiredStateLoader.loadDirectory(Path.of("desired-state"),
                Clock.fixed(TODAY.atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC));
        assertThat(loaded.ok()).as(loaded.diagnostics().toString()).isTrue();
        return loaded.state().orElseThrow();
    }
}
