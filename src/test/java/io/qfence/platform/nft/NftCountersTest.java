package io.qfence.platform.nft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qfence.model.host.CounterSample;
import io.qfence.model.host.NftTable;
import io.qfence.testing.RequiresHost;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Named counters count real traffic and survive an apply. Two private namespaces joined by a veth pair: "host"
 * (10.99.0.1, with qfence's table) and "guest" (10.99.0.2). The guest's connection to a dropped port must time out
 * (a refused connection would prove the packet got through), and the drop counter must have seen it.
 */
@RequiresHost(tools = {"nft", "ip"})
class NftCountersTest {

    private static final int OPEN_PORT = 8080;
    private static final int DROPPED_PORT = 9;

    private static NftTable hostTable() {
        return new NftTable("inet", "qfence",
                List.of(Rulesets.base("input", "filter", "input", 0, "accept",
                        Rulesets.rule("[{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\",\"field\":\"dport\"}},\"right\":" + DROPPED_PORT + "}},"
                                + "{\"counter\":\"drop_input\"},{\"drop\":null}]", "qf:test:drop"),
                        Rulesets.rule("[{\"counter\":{\"packets\":0,\"bytes\":0}},{\"accept\":null}]", "qf:test:count-rest"))),
                List.of(), List.of("drop_input"));
    }

    @Test
    void aDropRuleCountsTheConnectionItStopsAndTheCountSurvivesTheNextApply() throws Exception {
        try (NftTestNamespace host = NftTestNamespace.create(); NftTestNamespace guest = NftTestNamespace.create();
             NftClient client = NftClient.open(host.ns)) {
            host.ip("link", "add", "vh", "type", "veth", "peer", "name", "vg", "netns", guest.name());
            host.ip("addr", "add", "10.99.0.1/24", "dev", "vh");
            host.ip("link", "set", "vh", "up");
            host.ip("link", "set", "lo", "up");
            guest.ip("addr", "add", "10.99.0.2/24", "dev", "vg");
            guest.ip("link", "set", "vg", "up");
            guest.ip("link", "set", "lo", "up");
            client.replace(List.of(hostTable()), List.of());
            assertThat(client.counters("inet", "qfence")).containsExactly(new CounterSample("inet qfence", "drop_input", 0, 0));

            try (ServerSocket open = host.ns.call(() -> new ServerSocket(OPEN_PORT));
                 ServerSocket dropped = host.ns.call(() -> new ServerSocket(DROPPED_PORT))) {
                guest.ns.run(() -> connect(OPEN_PORT));
                assertThatThrownBy(() -> guest.ns.run(() -> connect(DROPPED_PORT))).hasRootCauseInstanceOf(SocketTimeoutException.class);
            }

            CounterSample hits = client.counters("inet", "qfence").get(0);
            assertThat(hits.packets()).isPositive();
            assertThat(hits.bytes()).isGreaterThanOrEqualTo(hits.packets() * 40);
            // the witness counts the same
            assertThat(host.nft("list", "counter", "inet", "qfence", "drop_input")).contains("packets " + hits.packets() + " bytes " + hits.bytes());

            // the anonymous counter has counted the open connection, and that never shows as drift
            assertThat(host.nft("list", "chain", "inet", "qfence", "input")).containsPattern("counter packets [1-9][0-9]* bytes [1-9][0-9]* accept");
            assertThat(client.list("inet", "qfence")).contains(hostTable());

            client.replace(List.of(hostTable()), List.of());
            assertThat(client.counters("inet", "qfence")).containsExactly(hits);
        }
    }

    private static void connect(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("10.99.0.1", port), 700);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
