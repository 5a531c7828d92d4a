package io.qfence.plan.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.qfence.plan.Plan;
import io.qfence.plan.PlanCodec;
import io.qfence.plan.RepresentativePlans;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PlanJsonSchemaTest {

    private static JsonSchema schema;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void loadSchema() throws Exception {
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(Files.readString(Path.of("schemas", "plan.schema.json")));
    }

    private static Set<ValidationMessage> validate(String json) throws Exception {
        return schema.validate(JSON.readTree(json));
    }

    @Test
    void theJsonPlanFollowsItsSchema() throws Exception {
        for (Plan plan : new Plan[] {RepresentativePlans.everyKindOfChange(), RepresentativePlans.noChanges(), RepresentativePlans.emptyHost()}) {
            assertThat(validate(new JsonRenderer().render(plan, RenderOptions.PLAIN))).isEmpty();
        }
    }

    @Test
    void aSavedPlanFollowsTheSameSchema() throws Exception {
        assertThat(validate(PlanCodec.toJson(RepresentativePlans.everyKindOfChange()))).isEmpty();
    }

    @Test
    void theSchemaRejectsWhatItDoesNotDescribe() throws Exception {
        ObjectNode plan = (ObjectNode) JSON.readTree(new JsonRenderer().render(RepresentativePlans.everyKindOfChange(), RenderOptions.PLAIN));
        ((ObjectNode) plan.get("resource_changes").get(0).get("change")).putArray("actions").add("destroy");
        ObjectNode noVersion = plan.deepCopy();
        noVersion.remove("format_version");

        assertThat(schema.validate(plan)).isNotEmpty();
        assertThat(schema.validate(noVersion)).isNotEmpty();
    }

    @Test
    void resourceChangesAreSortedByAddressAndStepsCoverTheExecutionOrder() throws Exception {
        JsonNode plan = JSON.readTree(new JsonRenderer().render(RepresentativePlans.everyKindOfChange(), RenderOptions.PLAIN));
        java.util.List<String> addresses = new java.util.ArrayList<>();
        java.util.List<Integer> steps = new java.util.ArrayList<>();
        plan.get("resource_changes").forEach(c -> {
            addresses.add(c.get("address").asText());
            steps.add(c.get("step").asInt());
        });

        assertThat(addresses).isSorted();
        assertThat(steps).containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, steps.size()).boxed().toList());
        assertThat(plan.get("resource_changes").findValues("actions")).extracting(JsonNode::toString)
                .contains("[\"stop\",\"start\"]", "[\"create\",\"delete\"]");
    }
}
