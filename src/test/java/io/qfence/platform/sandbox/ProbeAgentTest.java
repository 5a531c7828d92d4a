package io.qfence.platform.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNetns;
import io.qfence.testing.Witness;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe guest's agent ({@code bin/probe-agent.pl}), run by this machine's perl (Debian's perl-base, as in the
 * image) in a private namespace: its listeners serve many peers at once (netcat's served one, and lost answers), a
 * batch runs every probe and reports each on its own line, silence and refusals are told apart, and whatever a peer
 * answers is cut to one printable line.
 */
@RequiresHost(tools = {"ip", "nft", "perl", "mkfifo"})
class ProbeAgentTest {

    static final Path AGENT = Path.of("bin/probe-agent.pl").toAbsolutePath();

    private TestNetns ns;
    @TempDir
    Path dir;

    @BeforeEach
    void namespace() {
        ns = TestNetns.create("agent");
        Witness.inNetns(ns.name(), "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647");
        // a black hole inside the namespace: whatever goes to port 7999 is dropped, as a firewall's drop would
        Witness.inNetns(ns.name(), "nft", "add table inet t; add chain inet t out { type filter hook output priority 0; };"
                + " add rule inet t out tcp dport 7999 drop; add rule inet t out udp dport 7999 drop");
    }

    @AfterEach
    void cleanUp() {
        // the detached listener is the only process left in this test's namespace: end it by its pid
        for (String pid : Witness.run("ip", "netns", "pids", ns.name()).split("\\s+")) {
            if (!pid.isBlank()) {
                Witness.tryRun("kill", "-9", pid.strip());
            }
        }
        ns.close();
    }

    private void listen() throws Exception {
        Witness.run("mkfifo", dir.resolve("in").toString(), dir.resolve("out").toString());
        Witness.run(ns.exec("perl", AGENT.toString(), "listen", "web-1", "22,5432", "53,9", dir.resolve("in").toString(),
                dir.resolve("out").toString()));
    }

    @Test
    void theListenersAnswerManyPeersAtOnceOnEveryPort() throws Exception {
        listen();
        ExecutorService pool = Executors.newFixedThreadPool(40);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int port = i % 2 == 0 ? 22 : 5432;
                answers.add(pool.submit(() -> ns.call(() -> tcpBanner(port))));
                int udp = i % 2 == 0 ? 53 : 9;
                answers.add(pool.submit(() -> ns.call(() -> udpAnswer(udp))));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get(20, TimeUnit.SECONDS)).as("peer %d", i).isEqualTo(i % 2 == 0 ? "QF-TCP-OK web-1" : "QF-UDP-OK web-1");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aBatchReportsEveryProbeInOrderAndTellsSilenceFromRefusal() throws Exception {
        listen();
        List<String> probes = new ArrayList<>();
        IntStream.range(0, 20).forEach(i -> probes.add("t" + i + ",t,127.0.0.1," + (i % 2 == 0 ? 22 : 5432)));
        IntStream.range(0, 20).forEach(i -> probes.add("u" + i + ",u,127.0.0.1," + (i % 2 == 0 ? 53 : 9)));
        probes.addAll(List.of("ping,i,127.0.0.1", "dropped-tcp,t,127.0.0.1,7999", "dropped-udp,u,127.0.0.1,7999",
                "refused-tcp,t,127.0.0.1,23", "refused-udp,u,127.0.0.1,24", "junk;rm,t,127.0.0.1,22", "x,q,127.0.0.1,1"));

        List<String> lines = probe("2", probes);

        List<String> expected = new ArrayList<>();
        IntStream.range(0, 20).forEach(i -> expected.add("QF-P t" + i + " 0 QF-TCP-OK web-1"));
        IntStream.range(0, 20).forEach(i -> expected.add("QF-P u" + i + " 0 QF-UDP-OK web-1"));
        expected.addAll(List.of("QF-P ping 0 bytes from 127.0.0.1",
                "QF-P dropped-tcp 1 no answer (connect timed out)",
                "QF-P dropped-udp 1 no answer",
                "QF-P refused-tcp 1 Connection refused",
                "QF-P refused-udp 1 Connection refused",
                "QF-P bad 1 bad probe 'junk;rm,t,127.0.0.1,22'",
                "QF-P x 1 unknown protocol 'q'"));
        assertThat(lines).containsExactlyElementsOf(expected);
    }

    @Test
    void theRunningAgentTakesBatchesThroughItsFifoOneAfterAnother() throws Exception {
        listen();
        for (int round = 0; round < 3; round++) {
            String script = "echo '2 a" + round + ",t,127.0.0.1,22 b" + round + ",u,127.0.0.1,53' >" + dir.resolve("in") + " && cat " + dir.resolve("out");
            String out = Witness.run(ns.exec("sh", "-c", script));
            assertThat(out.lines().toList()).containsExactly("QF-P a" + round + " 0 QF-TCP-OK web-1", "QF-P b" + round + " 0 QF-UDP-OK web-1");
        }
    }

    @Test
    void whateverAPeerAnswersIsCutToOnePrintableLine() throws Exception {
        try (ServerSocket server = ns.call(() -> new ServerSocket(7100, 50, InetAddress.getLoopbackAddress()))) {
            Thread hostile = new Thread(() -> {
                for (int i = 0; i < 2; i++) {
                    try (Socket peer = server.accept(); OutputStream out = peer.getOutputStream()) {
                        String evil = i == 0 ? "QF-TCP-OK web-1\u001b[31m\u0007 ok" + "A".repeat(500) + "\nQF-P forged 0 yes\n"
                                : "\nQF-TCP-OK web-1 after an empty line\n";
                        out.write(evil.getBytes(StandardCharsets.ISO_8859_1));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            hostile.start();
            List<String> lines = probe("2", List.of("long,t,127.0.0.1,7100"));
            List<String> second = probe("2", List.of("empty,t,127.0.0.1,7100"));
            hostile.join(5000);

            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).startsWith("QF-P long 0 QF-TCP-OK web-1?[31m? okAAA").doesNotContain("forged").hasSize("QF-P long 0 ".length() + 200);
            assertThat(second).containsExactly("QF-P empty 1 connected, closed without a banner");
        }
    }

    private List<String> probe(String seconds, List<String> probes) {
        List<String> command = new ArrayList<>(List.of("perl", AGENT.toString(), "probe", seconds));
        command.addAll(probes);
        return Witness.run(ns.exec(command.toArray(String[]::new))).lines().collect(Collectors.toList());
    }

    private static String tcpBanner(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        }
    }

    private static String udpAnswer(int port) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(5000);
            byte[] hello = "qf\n".getBytes(StandardCharsets.US_ASCII);
            s.send(new DatagramPacket(hello, hello.length, InetAddress.getLoopbackAddress(), port));
            DatagramPacket answer = new DatagramPacket(new byte[512], 512);
            s.receive(answer);
            return new String(answer.getData(), 0, answer.getLength(), StandardCharsets.US_ASCII).strip();
        }
    }
}
