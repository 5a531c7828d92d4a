package io.qfence.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.errors.StalePlanException;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.render.JsonRenderer;
import io.qfence.plan.render.RenderOptions;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class PlanCodecTest {

    @Test
    void aSavedPlanReadsBackEqualInExecutionOrder() {
        Plan plan = RepresentativePlans.everyKindOfChange();

        Plan read = PlanCodec.fromJson(PlanCodec.toJson(plan));

        assertThat(read).isEqualTo(plan);
    }

    @Property(tries = 100)
    void everySavedPlanReadsBackEqual(@ForAll("cases") PlannerProperties.Case c) {
        Plan plan = Planner.plan(c.desired(), c.host(), c.options());

        assertThat(PlanCodec.fromJson(PlanCodec.toJson(plan))).isEqualTo(plan);
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<PlannerProperties.Case> cases() {
        return new PlannerProperties().cases();
    }

    @Test
    void aPlanIsStaleOnceTheHostChanged() {
        List<HostObject> desired = Scenario.realize(PlannerTest.WEB);
        ObservedHost then = ObservedHost.empty("hv1", HostFacts.TYPICAL);
        Plan saved = PlanCodec.fromJson(PlanCodec.toJson(Planner.plan(desired, then)));
        ObservedHost now = new ObservedHost("hv1", HostFacts.TYPICAL, List.of(desired.get(0)), List.of(), List.of(), List.of());

        PlanCodec.requireFresh(saved, then);
        assertThatThrownBy(() -> PlanCodec.requireFresh(saved, now)).isInstanceOf(StalePlanException.class)
                .hasMessageStartingWith("the plan was made for the host as observed at " + saved.observedDigest() + ", but the host is now sha256:")
                .hasMessageEndingWith("; make a new plan");
    }

    @Test
    void aDisplayPlanIsNotASavedPlan() {
        String display = new JsonRenderer().render(RepresentativePlans.emptyHost(), RenderOptions.PLAIN);

        assertThatThrownBy(() -> PlanCodec.fromJson(display))
                .hasMessage("firewall: a saved plan carries before_object and after_object; this is a display plan");
        assertThatThrownBy(() -> PlanCodec.fromJson("{\"format_version\":\"2.1\"}"))
                .hasMessage("unsupported plan format_version 2.1 (this qfence reads 1.x)");
    }
}
