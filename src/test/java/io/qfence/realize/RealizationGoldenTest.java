package io.qfence.realize;

import io.qfence.model.host.HostFacts;
import org.junit.jupiter.api.Test;

/** The realized objects of a small fixed desired state, as reviewed golden files. */
class RealizationGoldenTest {

    @Test
    void smallDesiredStateOnThisMachineRealizesAsTheGoldenFileSays() {
        Realization r = Realizer.realize(Fixtures.small(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY);
        RealizationJson.assertGolden(RealizationJson.render(r), "small-v1.json");
    }

    @Test
    void smallDesiredStateOnATypicalCgroupV2HostRealizesAsTheGoldenFileSays() {
        Realization r = Realizer.realize(Fixtures.small(), "hv1", HostFacts.TYPICAL, Fixtures.TODAY);
        RealizationJson.assertGolden(RealizationJson.render(r), "small-v2.json");
    }

    @Test
    void everyExceptionKindRealizesAsTheGoldenFileSays() {
        Realization r = Realizer.realize(Scenarios.rich(), "hv1", Fixtures.THIS_MACHINE, Fixtures.TODAY);
        RealizationJson.assertGolden(RealizationJson.render(r), "rich-v1.json");
    }
}
