package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13, family 1, from the other side of {@link InvalidCorpusTest}: variants of the corpus's valid base that sit
 * at the edges of what the schema allows (extreme sizes and counts, every kind of exception endpoint with every
 * protocol, odd but legal paths). Whatever {@code validate} decides, {@code plan --empty} decides the same: a state
 * {@code validate} accepts is planned (exit 2), one it refuses is refused with the same first error, and neither
 * ever crashes. (Host facts are out of this test's scope: {@code confinement.apparmor: required} on a host without
 * AppArmor is refused by plan alone, on purpose, because only the host can tell.)
 */
class ValidatePlanAgreementTest {

    record Variant(String name, String file, String from, String to) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final String RULE = "      - from: alpha-app\n        to: beta-db\n        protocol: tcp\n        ports: [5432]\n";

    static Stream<Variant> variants() {
        List<Variant> out = new ArrayList<>();
        String g = "groups/alpha.yaml";
        String h = "hosts/hv1.yaml";
        String limits = "limits: {cpus: 2, memory: 1Gi, pids: 512}";
        out.add(new Variant("group cpus 0.001", g, limits, "limits: {cpus: 0.001, memory: 1Gi, pids: 512}"));
        out.add(new Variant("group limits at their maxima", g, limits, "limits: {cpus: 1024, memory: 1024Ti, pids: 4194304, ioWeight: 10000}"));
        out.add(new Variant("group memory in bytes", g, limits, "limits: {cpus: 2, memory: 1000000001, pids: 512, ioWeight: 1}"));
        out.add(new Variant("group memory limit 0", g, limits, "limits: {memory: 0}"));
        out.add(new Variant("empty group limits", g, limits, "limits: {}"));
        out.add(new Variant("subnet6", g, limits, limits + "\n  subnet6: fd00:10::/64"));
        out.add(new Variant("egress nat", g, "egress: none", "egress: nat"));
        out.add(new Variant("intraGroup deny", g, "intraGroup: allow", "intraGroup: deny"));
        out.add(new Variant("user-mode VM", g, "      ip: 10.1.0.11", "      network: user"));
        out.add(new Variant("stopped VM", g, "      ip: 10.1.0.11", "      ip: 10.1.0.11\n      state: stopped"));
        out.add(new Variant("VM limits below RAM", g, "      ip: 10.1.0.11", "      ip: 10.1.0.11\n      limits: {memory: 1Ki, pids: 1, cpus: 0.001}"));
        out.add(new Variant("VM pids above the group's", g, "      ip: 10.1.0.11", "      ip: 10.1.0.11\n      limits: {memory: 320Mi, pids: 4194304, ioWeight: 1}"));
        out.add(new Variant("stopTimeout 0s", g, "      ip: 10.1.0.11", "      ip: 10.1.0.11\n      stopTimeout: 0s"));
        out.add(new Variant("stopTimeout 99999m", g, "      ip: 10.1.0.11", "      ip: 10.1.0.11\n      stopTimeout: 99999m"));
        out.add(new Variant("fixed MAC", g, "      ip: 10.1.0.11", "      ip: 10.1.0.11\n      mac: 02:00:00:00:00:01"));
        out.add(new Variant("last host address", g, "      ip: 10.1.0.11", "      ip: 10.1.0.254"));
        out.add(new Variant("RAM 1Ti", g, "memory: 96Mi", "memory: 1Ti"));
        out.add(new Variant("RAM the largest", g, "memory: 96Mi", "memory: 1024Ti"));
        out.add(new Variant("RAM in bytes, huge", g, "memory: 96Mi", "memory: 9223372036854775807"));
        out.add(new Variant("RAM whose request overflows a long", g, "memory: 96Mi", "memory: 8796093022207Mi"));
        out.add(new Variant("RAM too large for a long", g, "memory: 96Mi", "memory: 8796093022208Mi"));
        out.add(new Variant("255 vCPUs", g, "cpus: 1", "cpus: 255"));
        out.add(new Variant("cmdline with commas and quotes", g, "cmdline: \"console=ttyS0 quiet\"}\n      ip: 10.1.0.10",
                "cmdline: \"a,b=c,,d 'x' \\\"y\\\" $HOME ; rm\"}\n      ip: 10.1.0.10"));
        out.add(new Variant("empty cmdline", g, "cmdline: \"console=ttyS0 quiet\"}\n      ip: 10.1.0.10", "cmdline: \"\"}\n      ip: 10.1.0.10"));
        out.add(new Variant("kernel path with a comma", g, "kernel: kernels/vmlinuz, initrd", "kernel: \"k,ernel\", initrd"));
        out.add(new Variant("kernel path starting with a dash", g, "kernel: kernels/vmlinuz, initrd", "kernel: \"-kernel\", initrd"));
        out.add(new Variant("VLAN 4094", g, "vlan: 10", "vlan: 4094"));
        out.add(new Variant("VLAN 10.0", g, "vlan: 10", "vlan: 10.0"));
        out.add(new Variant("VLAN in hex", g, "vlan: 10", "vlan: 0x10"));
        out.add(new Variant("cpus 1e400", g, limits, "limits: {cpus: 1e400, memory: 1Gi, pids: 512}"));
        out.add(new Variant("cpus 1e-400", g, limits, "limits: {cpus: 1e-400, memory: 1Gi, pids: 512}"));
        out.add(new Variant("a /16 subnet", g, "subnet: 10.1.0.0/24", "subnet: 10.1.0.0/16"));
        out.add(new Variant("exposed to IPv6 and IPv4 everywhere", g, "expose: {hostPort: 2201, port: 22, from: [198.51.100.0/24]}",
                "expose: {hostPort: 1, port: 65535, from: [\"::/0\", 0.0.0.0/0]}"));
        out.add(new Variant("overlapping port ranges", g, "ports: [5432]", "ports: [\"1-10\", \"5-20\", 5432, 5432]"));
        out.add(new Variant("reversed port range", g, "ports: [5432]", "ports: [\"5432-5431\"]"));
        out.add(new Variant("uplink", h, "  runDir:", "  uplink: eth0\n  runDir:"));
        out.add(new Variant("runDir /", h, "runDir: /run/qfence", "runDir: /"));
        out.add(new Variant("runDir with slashes", h, "runDir: /run/qfence", "runDir: //run//qfence/"));
        out.add(new Variant("imagesRoot with a dot", h, "imagesRoot: /var/lib/qfence/images", "imagesRoot: /var/lib/qfence/./images"));
        out.add(new Variant("cgroupParent nested", h, "cgroupParent: qfence.slice", "cgroupParent: a/b/c"));
        out.add(new Variant("cgroupParent with a space", h, "cgroupParent: qfence.slice", "cgroupParent: \"a b\""));
        out.add(new Variant("uids at the top", h, "vmUidRange: {first: 200000, last: 200099}", "vmUidRange: {first: 4294967290, last: 4294967294}"));
        out.add(new Variant("uids just enough", h, "vmUidRange: {first: 200000, last: 200099}", "vmUidRange: {first: 1000, last: 1003}"));
        out.add(new Variant("machine with a version", h, "machine: q35", "machine: pc-q35-7.2"));
        out.add(new Variant("apparmor off", h, "apparmor: preferred", "apparmor: off"));
        // every kind of endpoint on both sides, with every protocol
        List<String> endpoints = List.of("alpha-app", "group:alpha", "beta-db", "host", "internet", "10.0.0.0/8", "2001:db8::/32");
        for (String from : endpoints) {
            for (String to : endpoints) {
                for (String protocol : List.of("tcp", "udp", "icmp")) {
                    String rule = "      - from: \"" + from + "\"\n        to: \"" + to + "\"\n        protocol: " + protocol + "\n"
                            + (protocol.equals("icmp") ? "" : "        ports: [\"1-65535\"]\n");
                    out.add(new Variant("exception " + from + " -> " + to + " " + protocol, g, RULE, rule));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void validateAndPlanDecideAlike(Variant v, @TempDir Path tmp) throws IOException {
        Path dir = InvalidCorpusTest.copyTree(InvalidCorpusTest.BASE, tmp.resolve("desired-state"));
        Path file = dir.resolve(v.file());
        String text = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(text).as("the base holds the text this variant replaces").contains(v.from());
        Files.writeString(file, text.replace(v.from(), v.to()), StandardCharsets.UTF_8);

        CliRun validate = CliRun.of("validate", "--dir", dir.toString());
        CliRun plan = CliRun.of("plan", "--empty", "--dir", dir.toString());

        assertThat(validate.err() + plan.err()).as("no crash on %s", v).doesNotContain("internal error");
        if (validate.exitCode() == 0) {
            assertThat(plan.exitCode()).as("plan --empty of a state validate accepts (%s)%n%s", v, plan.err()).isEqualTo(2);
        } else {
            assertThat(validate.exitCode()).isEqualTo(1);
            assertThat(plan.exitCode()).as("plan --empty of a state validate refuses (%s)", v).isEqualTo(1);
            assertThat(plan.err().lines().findFirst()).as("first error (%s)", v).isEqualTo(validate.out().lines().findFirst());
        }
    }
}
