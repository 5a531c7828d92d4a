package io.qfence.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.cli.CliContext;
import io.qfence.host.HostConnector;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.model.host.HostFacts;
import io.qfence.testing.ProbeImages;
import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNetns;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * verify's sandbox and the live host can never disagree about what the kernel can do: both get their facts from the
 * live host's one detector ({@code LiveHostFacts}; {@code LayeringTest.hostFactsAreDetectedInOnePlace} keeps it the
 * only one), so on this machine they are the same facts. The live host here is a private namespace, as
 * {@code qfence apply --netns} manages one: nothing touches the machine's own.
 */
@RequiresHost(tools = {"ip"})
class SandboxFactsTest {

    @Test
    void aSandboxTheDemoAndTheLiveHostHaveTheSameFactsOnThisMachine() throws Exception {
        HostConnector live = Main.liveHost();
        CliContext.Verification verification = Main.verification(live);
        try (TestNetns netns = TestNetns.create("facts")) {
            HostFacts liveHost;
            try (HostPorts ports = live.connect(new HostTarget(Optional.of(netns.name()), Optional.empty()))) {
                liveHost = ports.facts().facts();
            }
            // the demo plans with the facts of the host it runs on: here, the private namespace
            HostFacts demo = netns.call(() -> verification.facts().get());
            try (Sandbox sandbox = verification.sandboxes().create("qfence-test-facts", ProbeImages.directory(), Progress.SILENT)) {
                assertThat(sandbox.facts()).isEqualTo(liveHost);
                assertThat(demo).isEqualTo(liveHost);
            }
        }
    }
}
