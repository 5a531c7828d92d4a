package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qfence.testing.Golden;
import org.junit.jupiter.api.Test;

/** {@code qfence explain} and {@code qfence graph} on the bundled desired state, as a user runs them. */
class ExplainCommandTest {

    static CliRun explain(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "explain";
        all[1] = "--dir";
        all[2] = "desired-state";
        System.arraycopy(args, 0, all, 3, args.length);
        return CliRun.of(all);
    }

    @Test
    void anAllowedFlowIsExplainedInTextAndJson() throws Exception {
        CliRun text = explain("web-app-1", "db-main", "tcp/5432");
        CliRun json = explain("web-app-1", "10.20.0.11", "tcp/5432", "--format", "json");

        assertThat(text.exitCode()).isZero();
        Golden.assertMatches("explain/cli-allowed.txt", text.out());
        JsonNode tree = new ObjectMapper().readTree(json.out());
        assertThat(tree.get("verdict").asText()).isEqualTo("allowed");
        assertThat(tree.get("destination").asText()).as("a VM's address is that VM").isEqualTo("vm:db-main");
        assertThat(tree.at("/allowed_by/0/origin").asText()).isEqualTo("groups/web.yaml:26:9");
        assertThat(tree.at("/rules/0/chain").asText()).isEqualTo("from_web");
    }

    @Test
    void aDeniedFlowAndAHostCaseExitZeroWithTheirAnswer() {
        CliRun denied = explain("web-app-1", "db-main", "tcp/22");
        CliRun host = explain("ci-runner", "host", "tcp/22");
        CliRun internet = explain("ci-builder", "internet", "tcp/22");

        assertThat(denied.exitCode()).isZero();
        assertThat(denied.out()).startsWith("vm:web-app-1 -> vm:db-main tcp/22: DENIED\n");
        Golden.assertMatches("explain/cli-host-user-mode.txt", host.out());
        Golden.assertMatches("explain/cli-egress-none.txt", internet.out());
    }

    @Test
    void unknownEndpointsAndBadServicesAreOneLineAndExit1() {
        assertThat(explain("web-9", "db-main")).satisfies(r -> {
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.err()).endsWith("qfence: error: FROM 'web-9': no VM of host hv1 has this name; expected a VM, host, internet, "
                    + "or an IPv4 address or prefix\n");
        });
        assertThat(explain("web-app-1", "10.20.0.99").err())
                .endsWith("qfence: error: TO '10.20.0.99': lies in a qfence network but is no VM's address; name the VM, or host\n");
        assertThat(explain("web-app-1", "10.0.0.1/8").err())
                .endsWith("qfence: error: TO '10.0.0.1/8': '10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?\n");
        assertThat(explain("web-app-1", "db-main", "tcp").err())
                .endsWith("qfence: error: PROTO/PORT 'tcp': tcp needs a port, e.g. tcp/22\n");
        assertThat(explain("web-app-1", "db-main", "sctp/9").err())
                .endsWith("qfence: error: PROTO/PORT 'sctp/9': expected tcp/PORT, udp/PORT or icmp\n");
        assertThat(explain("web-app-1", "db-main", "udp/70000").err())
                .endsWith("qfence: error: PROTO/PORT 'udp/70000': the port must be a number from 1 to 65535\n");
        assertThat(explain("db-main", "10.20.0.11").err())
                .endsWith("qfence: error: FROM and TO are both vm:db-main: an endpoint always reaches itself\n");
        assertThat(explain("web-app-1", "db-main", "--host", "hv9").err())
                .endsWith("qfence: error: no host 'hv9' in the desired state; it has: hv1\n");
    }

    @Test
    void liveNeedsTheLiveHost() {
        CliRun run = explain("web-app-1", "db-main", "tcp/22", "--live");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("qfence: error: explain --live reads the live host, which needs root on Linux");
    }

    @Test
    void graphDrawsTheBundledStateInMermaidAndDot() {
        CliRun mermaid = CliRun.of("graph", "--dir", "desired-state");
        CliRun dot = CliRun.of("graph", "--dir", "desired-state", "--format", "dot");

        assertThat(mermaid.exitCode()).isZero();
        Golden.assertMatches("graph/bundled.mmd", mermaid.out());
        Golden.assertMatches("graph/bundled.dot", dot.out());
    }
}
