package io.qfence.plan.diff;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.ByteSize;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Origin;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Egress;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.IntraGroup;
import io.qfence.model.desired.Limits;
import io.qfence.model.desired.NetworkMode;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import io.qfence.plan.render.RenderOptions;
import io.qfence.testing.Golden;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class IsolationDiffTest {

    static Vm vm(String name, int memoryMi, VmState state, int host) {
        return new Vm(name, 1, ByteSize.ofMebibytes(memoryMi), new BootSource.Disk(name + ".qcow2", BootSource.DiskFormat.QCOW2),
                Optional.empty(), Optional.of(Ipv4Address.parse("10.1.0." + host)), NetworkMode.BRIDGED, state, Limits.NONE,
                Duration.ofSeconds(30), Origin.UNKNOWN);
    }

    static Group group(String name, int vlan, Limits limits, Vm... vms) {
        return new Group(name, vlan, Ipv4Cidr.parse("10." + vlan + ".0.0/24"), Optional.empty(), Egress.NONE, IntraGroup.ALLOW, limits,
                Optional.empty(), List.of(), List.of(vms), Origin.UNKNOWN);
    }

    static final FlowEntry WEB_TO_DB = new FlowEntry("web-01", "db-01", "tcp", "5432");
    static final FlowEntry WEB_INTRA = new FlowEntry("web-01", "web-02", "tcp", "*");

    static IsolationDiff representative() {
        DesiredState before = new DesiredState("abc1234", List.of(), List.of(
                group("web", 10, Limits.NONE, vm("web-01", 64, VmState.RUNNING, 11), vm("web-02", 64, VmState.RUNNING, 12)),
                group("db", 20, Limits.NONE, vm("db-01", 512, VmState.RUNNING, 11), vm("db-02", 512, VmState.RUNNING, 12))));
        DesiredState after = new DesiredState("def5678", List.of(), List.of(
                group("web", 11, new Limits(Optional.empty(), Optional.of(ByteSize.ofMebibytes(2048)), OptionalLong.of(512), OptionalInt.empty()),
                        vm("web-01", 96, VmState.RUNNING, 11), vm("web-02", 64, VmState.STOPPED, 12), vm("web-03", 64, VmState.RUNNING, 13)),
                group("db", 20, Limits.NONE, vm("db-01", 512, VmState.RUNNING, 11))));
        FlowSet flowsBefore = FlowSet.of(WEB_INTRA, new FlowEntry("db-01", "db-02", "tcp", "*"), new FlowEntry("web-01", "host", "udp", "53"));
        FlowSet flowsAfter = FlowSet.of(WEB_INTRA, WEB_TO_DB, new FlowEntry("web-01", "web-03", "tcp", "*"), new FlowEntry("web-01", "host", "udp", "53"));
        return IsolationDiff.of("abc1234", flowsBefore, before, "def5678", flowsAfter, after);
    }

    @Test
    void oneNewExceptionIsExactlyOneGainedFlow() {
        FlowSet before = FlowSet.of(WEB_INTRA);
        FlowSet after = FlowSet.of(WEB_INTRA, WEB_TO_DB);

        IsolationDiff d = IsolationDiff.of("a", before, "b", after);

        assertThat(d.gained().entries()).containsExactly(WEB_TO_DB);
        assertThat(d.lost().isEmpty()).isTrue();
        assertThat(d.widens()).isTrue();
        assertThat(d.narrows()).isFalse();
        assertThat(IsolationDiff.of("b", after, "a", before).widens()).isFalse();
    }

    @Test
    void settingsShowVlansLimitsSizesAndLifecycle() {
        assertThat(representative().settings()).extracting(SettingChange::toString).containsExactly(
                "group web: limits.memory (none) -> 2Gi",
                "group web: limits.pids (none) -> 512",
                "group web: subnet 10.10.0.0/24 -> 10.11.0.0/24",
                "group web: vlan 10 -> 11",
                "vm db-02: lifecycle running -> (none)",
                "vm web-01: memory 64Mi -> 96Mi",
                "vm web-02: state running -> stopped",
                "vm web-03: lifecycle (none) -> running");
    }

    @Test
    void theSameRevisionTwiceHasNoChanges() {
        IsolationDiff d = representative();
        IsolationDiff same = new IsolationDiff("x", "x", d.gained().minus(d.gained()), FlowSet.EMPTY, List.of());

        assertThat(same.isEmpty()).isTrue();
        assertThat(IsolationDiffRenderer.text(same, RenderOptions.PLAIN)).isEqualTo("Isolation diff from x to x\n\nNo isolation changes.\n");
    }

    @Test
    void goldenText() {
        Golden.assertMatches("diff/representative.txt", IsolationDiffRenderer.render(representative(), "text", RenderOptions.PLAIN));
    }

    @Test
    void goldenJsonFollowingItsSchema() throws Exception {
        String json = IsolationDiffRenderer.render(representative(), "json", RenderOptions.PLAIN);

        Golden.assertMatches("diff/representative.json", json);
        com.networknt.schema.JsonSchema schema = com.networknt.schema.JsonSchemaFactory
                .getInstance(com.networknt.schema.SpecVersion.VersionFlag.V202012)
                .getSchema(java.nio.file.Files.readString(java.nio.file.Path.of("schemas", "isolation-diff.schema.json")));
        assertThat(schema.validate(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json))).isEmpty();
        assertThat(schema.validate(new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"format_version\":\"1.0\"}"))).isNotEmpty();
    }

    @Test
    void goldenMarkdown() {
        Golden.assertMatches("diff/representative.md", IsolationDiffRenderer.render(representative(), "markdown", RenderOptions.PLAIN));
    }

    @Test
    void markdownStaysUnderTheLimitForHugeDiffs() {
        List<FlowEntry> many = new java.util.ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            many.add(new FlowEntry("vm-" + i, "db-01", "tcp", "5432"));
        }
        IsolationDiff d = IsolationDiff.of("a", FlowSet.EMPTY, "b", FlowSet.of(many));

        String md = IsolationDiffRenderer.markdown(d, RenderOptions.PLAIN);

        assertThat(md.length()).isLessThanOrEqualTo(60_000);
        assertThat(md).contains("Access widens: 5000 flows gained, 0 lost.").containsPattern("… and \\d+ more rows not shown");
    }
}
