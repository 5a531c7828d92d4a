package io.qfence.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.Vm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schemas, the README and the code state the same defaults. Every {@code default} in a schema is compared with
 * what the loader binds when the field is absent, and a default without a comparison here fails the test, so a new
 * one cannot drift. The defaults written as prose (a VM's derived limits) are compared with the code's constants.
 */
class SchemaDefaultsTest {

    private static final Clock TODAY = Clock.fixed(Instant.parse("2026-06-01T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    /** For each schema pointer that has a default: what the bound model holds when the field is absent. */
    private static final Map<String, Function<DesiredState, Object>> BOUND = Map.ofEntries(
            Map.entry("host.schema.json#/properties/spec/properties/qemu/properties/binary", s -> host(s).qemu().binary()),
            Map.entry("host.schema.json#/properties/spec/properties/qemu/properties/accel", s -> host(s).qemu().accel()),
            Map.entry("host.schema.json#/properties/spec/properties/qemu/properties/machine", s -> host(s).qemu().machine()),
            Map.entry("host.schema.json#/properties/spec/properties/confinement/properties/apparmor",
                    s -> host(s).confinement().apparmor()),
            Map.entry("host.schema.json#/properties/spec/properties/confinement/properties/namespaces",
                    s -> host(s).confinement().namespaces()),
            Map.entry("host.schema.json#/properties/spec/properties/confinement/properties/seccomp",
                    s -> host(s).confinement().seccomp()),
            Map.entry("group.schema.json#/properties/spec/properties/egress", s -> group(s).egress()),
            Map.entry("group.schema.json#/properties/spec/properties/intraGroup", s -> group(s).intraGroup()),
            Map.entry("group.schema.json#/properties/spec/properties/bastion/properties/sshToGroup",
                    s -> group(s).bastion().orElseThrow().sshToGroup()),
            Map.entry("group.schema.json#/properties/spec/properties/vms", s -> s.groups().get(1).vms()),
            Map.entry("group.schema.json#/$defs/vm/properties/boot/properties/cmdline",
                    s -> ((BootSource.Kernel) vm(s).boot()).cmdline()),
            Map.entry("group.schema.json#/$defs/vm/properties/network", s -> vm(s).network()),
            Map.entry("group.schema.json#/$defs/vm/properties/state", s -> vm(s).state()),
            Map.entry("group.schema.json#/$defs/vm/properties/stopTimeout", s -> vm(s).stopTimeout().toSeconds() + "s"),
            Map.entry("group.schema.json#/$defs/vm/properties/limits/properties/pids", s -> vm(s).pidsRequest()));

    @Test
    void everySchemaDefaultIsWhatTheLoaderBindsWhenTheFieldIsAbsent() throws IOException {
        DesiredState state = minimalState();
        Map<String, JsonNode> defaults = new TreeMap<>();
        for (String file : new String[] {"host.schema.json", "group.schema.json"}) {
            collectDefaults(new ObjectMapper().readTree(Path.of("schemas", file).toFile()), file + "#", defaults);
        }

        assertThat(defaults.keySet()).as("every schema default is compared here").isEqualTo(new TreeMap<>(BOUND).keySet());
        defaults.forEach((pointer, value) -> {
            Object bound = BOUND.get(pointer).apply(state);
            String expected = value.isTextual() ? value.asText() : value.toString();
            String actual = bound instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : String.valueOf(bound);
            assertThat(actual).as("default of %s", pointer).isEqualToIgnoringCase(expected);
        });
    }

    @Test
    void theVmsDerivedLimitsAreStatedWithTheCodesNumbersInSchemaAndReadme() throws IOException {
        JsonNode vmLimits = new ObjectMapper().readTree(Path.of("schemas", "group.schema.json").toFile())
                .at("/$defs/vm/properties/limits");
        String overhead = Vm.QEMU_MEMORY_OVERHEAD.toString();
        String readme = Files.readString(Path.of("README.md")).replaceAll("\\s+", " ");
        String design = Files.readString(Path.of("docs/DESIGN.md")).replaceAll("\\s+", " ");

        assertThat(overhead).isEqualTo("224Mi");
        assertThat(vmLimits.path("description").asText())
                .contains("(" + overhead + ")", "pids " + Vm.DEFAULT_PIDS + " ");
        assertThat(vmLimits.at("/properties/memory/description").asText()).contains("(" + overhead + ")");
        assertThat(vmLimits.at("/properties/pids/default").asLong()).isEqualTo(Vm.DEFAULT_PIDS);
        assertThat(readme).contains("a VM's RAM plus " + overhead + " of QEMU overhead, and " + Vm.DEFAULT_PIDS + " pids");
        assertThat(design).contains("pids = `Vm.DEFAULT_PIDS` (" + Vm.DEFAULT_PIDS + ";",
                "`Vm.QEMU_MEMORY_OVERHEAD` (" + overhead + ")");
    }

    private DesiredState minimalState() throws IOException {
        Files.createDirectories(dir.resolve("hosts"));
        Files.createDirectories(dir.resolve("groups"));
        Files.writeString(dir.resolve("hosts/hv1.yaml"), """
                apiVersion: qfence.io/v1alpha1
                kind: Host
                metadata: {name: hv1}
                spec:
                  groups: [alpha, empty]
                  imagesRoot: /var/lib/qfence/images
                  runDir: /run/qfence
                  stateDir: /var/lib/qfence
                  cgroupParent: qfence.slice
                  vmUidRange: {first: 200000, last: 200099}
                """);
        Files.writeString(dir.resolve("groups/alpha.yaml"), """
                apiVersion: qfence.io/v1alpha1
                kind: Group
                metadata: {name: alpha}
                spec:
                  vlan: 10
                  subnet: 10.1.0.0/24
                  bastion: {vm: alpha-one}
                  vms:
                    - name: alpha-one
                      cpus: 1
                      memory: 96Mi
                      boot: {kernel: kernels/vmlinuz}
                      ip: 10.1.0.10
                """);
        Files.writeString(dir.resolve("groups/empty.yaml"), """
                apiVersion: qfence.io/v1alpha1
                kind: Group
                metadata: {name: empty}
                spec: {vlan: 20, subnet: 10.2.0.0/24}
                """);
        LoadResult loaded = DesiredStateLoader.loadDirectory(dir, TODAY);
        assertThat(loaded.diagnostics()).isEmpty();
        return loaded.state().orElseThrow();
    }

    private static void collectDefaults(JsonNode node, String pointer, Map<String, JsonNode> into) {
        if (node.isObject()) {
            if (node.has("default")) {
                into.put(pointer, node.get("default"));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().equals("examples") && !e.getKey().equals("default")) {
                    collectDefaults(e.getValue(), pointer + "/" + e.getKey(), into);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collectDefaults(node.get(i), pointer + "/" + i, into);
            }
        }
    }

    private static Host host(DesiredState s) {
        return s.hosts().get(0);
    }

    private static Group group(DesiredState s) {
        return s.groups().get(0);
    }

    private static Vm vm(DesiredState s) {
        return group(s).vms().get(0);
    }
}
