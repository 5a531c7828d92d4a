package io.qfence.plan.render;

import io.qfence.plan.Plan;
import io.qfence.plan.PlanJson;

/** The machine-readable plan, as documented by {@code schemas/plan.schema.json}. Colour does not apply. */
public final class JsonRenderer implements PlanRenderer {

    @Override
    public String render(Plan plan, RenderOptions options) {
        return PlanJson.toJson(plan, false);
    }
}
