package io.qfence.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.ConfinementLayersFixture;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A guest's confinement in {@code qfence state}'s JSON: written where observation read it from {@code /proc}, left
 * out where it did not (realizations, saved plans and digests are unchanged), and read back equal.
 */
class GuestConfinementJsonTest {

    @Test
    void anObservedGuestsConfinementSurvivesTheRoundTripAndIsLeftOutWhereNoneWasRead() {
        List<HostObject> desired = Scenario.realize(PlannerTest.WEB);
        List<HostObject> observed = new ArrayList<>();
        for (HostObject o : desired) {
            observed.add(o instanceof Guest g ? g.withRuntime(g.runtime().withConfinement(Optional.of(ConfinementLayersFixture.confined()))) : o);
        }
        String json = SnapshotCodec.toJson(new ObservedHost("hv1", HostFacts.TYPICAL, observed, List.of(), List.of(), List.of()));

        assertThat(json).contains("\"confinement\" : {", "\"seccomp_mode\" : 2", "\"seccomp_filters\" : 1", "\"no_new_privs\" : true",
                "\"apparmor\" : \"unconfined\"", "\"shared_with\" : [ ]", "\"fs_type\" : \"tmpfs\"", "\"outside\" : [ ]");
        assertThat(SnapshotCodec.fromJson(json).objects()).containsExactlyInAnyOrderElementsOf(observed);

        String realization = SnapshotCodec.toJson(new ObservedHost("hv1", HostFacts.TYPICAL, desired, List.of(), List.of(), List.of()));
        assertThat(realization).doesNotContain("confinement");
        assertThat(SnapshotCodec.fromJson(realization).objects()).containsExactlyInAnyOrderElementsOf(desired);
        assertThat(Digests.of(observed)).as("the digest ignores runtime facts").isEqualTo(Digests.of(desired));
    }
}
