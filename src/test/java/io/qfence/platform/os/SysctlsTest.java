package io.qfence.platform.os;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNamespace;
import io.qfence.testing.Witness;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Net sysctls belong to the network namespace of the calling thread. Checked against {@code ip netns exec .. sysctl},
 * which runs a separate process in the namespace; the root namespace is only ever read.
 */
@RequiresHost(tools = {"ip", "sysctl"})
class SysctlsTest {

    private static String rootValue(String file) throws Exception {
        return Files.readString(Path.of("/proc/sys/net/ipv4/" + file)).strip();
    }

    @Test
    void aWriteChangesOnlyTheNamespaceItWasMadeIn() throws Exception {
        String rootBefore = rootValue("ip_forward");
        try (TestNamespace a = TestNamespace.create(); TestNamespace b = TestNamespace.create()) {
            Sysctls inA = Sysctls.in(a.netns());
            String flipped = rootBefore.equals("1") ? "0" : "1";

            inA.write("net.ipv4.ip_forward", flipped);

            assertThat(a.witness("sysctl", "-n", "net.ipv4.ip_forward").strip()).isEqualTo(flipped);
            assertThat(inA.read("net.ipv4.ip_forward")).contains(flipped);
            assertThat(Sysctls.in(b.netns()).read("net.ipv4.ip_forward")).contains(b.witness("sysctl", "-n", "net.ipv4.ip_forward").strip());
            assertThat(rootValue("ip_forward")).isEqualTo(rootBefore);

            inA.write("net.ipv4.ip_forward", rootBefore);
            assertThat(a.witness("sysctl", "-n", "net.ipv4.ip_forward").strip()).isEqualTo(rootBefore);
        }
    }

    @Test
    void readsWhatAnotherProcessWroteInTheNamespace() {
        try (TestNamespace ns = TestNamespace.create()) {
            ns.witness("sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0");
            assertThat(Sysctls.in(ns.netns()).read("net.bridge.bridge-nf-call-iptables")).contains("0");
            Sysctls.in(ns.netns()).write("net.bridge.bridge-nf-call-iptables", "1");
            assertThat(ns.witness("sysctl", "-n", "net.bridge.bridge-nf-call-iptables").strip()).isEqualTo("1");
        }
    }

    @Test
    void interfaceSysctlsExistOnlyWhereTheInterfaceDoes() {
        try (TestNamespace ns = TestNamespace.create()) {
            ns.witness("ip", "link", "add", "qfb-sys", "type", "bridge");
            Sysctls sysctls = Sysctls.in(ns.netns());
            assertThat(sysctls.read("net.ipv6.conf.qfb-sys.disable_ipv6")).isPresent();
            assertThat(Files.exists(Path.of("/proc/sys/net/ipv6/conf/qfb-sys"))).as("not visible from the root namespace").isFalse();
        }
    }

    @Test
    void anUnknownKeyReadsAsAbsentAndCannotBeWritten() {
        try (TestNamespace ns = TestNamespace.create()) {
            Sysctls sysctls = Sysctls.in(ns.netns());
            assertThat(sysctls.read("net.ipv4.no_such_key")).isEmpty();
            assertThatThrownBy(() -> sysctls.write("net.ipv4.no_such_key", "1"))
                    .isInstanceOfSatisfying(OsException.class, e -> assertThat(e.errno()).isEqualTo(2));
            assertThatThrownBy(() -> sysctls.read("../../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Witness.run("ip", "netns", "list")).doesNotContain("qfence-test-sys");
    }
}
