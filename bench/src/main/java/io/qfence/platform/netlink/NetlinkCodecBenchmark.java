package io.qfence.platform.netlink;

import io.qfence.model.MacAddress;
import io.qfence.bench.ScratchNamespace;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.os.NetlinkSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The rtnetlink codec without the kernel: encoding 1000 link requests (bridges with MAC and MTU, the richest
 * creation message) into one buffer, and decoding a real dump of 1001 links (200 bridges with aliases and 400 veth
 * pairs whose first ends are bridge ports, plus {@code lo}) through the client, from captured datagrams. The dump is
 * captured once in setup, in a private namespace (needs root). Run through {@code bench/jmh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class NetlinkCodecBenchmark {

    private static final int LINKS = 1000;

    private List<ByteBuffer> dump;
    private final List<NetlinkRequest> requests = new ArrayList<>();
    private final MessageWriter writer = new MessageWriter(256 * 1024);

    @Setup
    public void setUp() {
        for (int i = 0; i < LINKS; i++) {
            requests.add(Requests.newBridge("qfb-" + i, BridgeOptions.DEFAULTS.withMtu(1500)
                    .withMac(new MacAddress(0x0a0000000000L + i))));
        }
        try (ScratchNamespace scratch = ScratchNamespace.create("jmh")) {
            NetNamespace ns = scratch.namespace();
            try (RtnlClient rtnl = RtnlClient.open(ns)) {
                LinkBatch batch = rtnl.batch();
                for (int b = 0; b < 200; b++) {
                    batch.createBridge("qfb-" + b, BridgeOptions.DEFAULTS).setAlias("qfb-" + b, "qfence:group.g" + b + "/bridge");
                }
                for (int p = 0; p < 400; p++) {
                    batch.createVethPair("qfp-" + p, "qfq-" + p);
                }
                batch.execute().orThrow();
                batch = rtnl.batch();
                for (int p = 0; p < 400; p++) {
                    batch.setMaster("qfp-" + p, "qfb-" + (p % 200)).setUp("qfp-" + p);
                }
                batch.execute().orThrow();
            }
            dump = capture(ns);
        }
        int n = decode().size();
        if (n != LINKS + 1) {
            throw new IllegalStateException("captured " + n + " links, expected " + (LINKS + 1));
        }
    }

    private static List<ByteBuffer> capture(NetNamespace ns) {
        try (NetlinkSocket socket = ns.call(() -> NetlinkSocket.open(NetlinkSocket.NETLINK_ROUTE))) {
            socket.setReceiveTimeout(Duration.ofSeconds(5));
            byte[] request = Requests.dumpLinks().encode(1);
            ByteBuffer out = ByteBuffer.allocateDirect(request.length);
            out.put(request).flip();
            socket.send(out);
            List<ByteBuffer> datagrams = new ArrayList<>();
            boolean done = false;
            while (!done) {
                ByteBuffer in = ByteBuffer.allocateDirect(NetlinkChannel.RECEIVE_BUFFER_BYTES);
                socket.receive(in);
                ByteBuffer copy = ByteBuffer.allocate(in.limit());
                copy.put(in.duplicate().position(0)).flip();
                datagrams.add(copy);
                for (NetlinkMessage m : NetlinkMessage.parseAll(in.duplicate().position(0))) {
                    done |= m.type() == Rtnl.NLMSG_DONE;
                }
            }
            return datagrams;
        }
    }

    @Benchmark
    public int encode() {
        writer.reset();
        int seq = 1;
        for (NetlinkRequest r : requests) {
            r.encode(writer, seq++);
        }
        return writer.size();
    }

    @Benchmark
    public List<LinkInfo> decode() {
        List<ByteBuffer> replies = new ArrayList<>(dump.size());
        dump.forEach(d -> replies.add(d.duplicate()));
        return new RtnlClient(new NetlinkChannel(new Replay(replies)), "replay", Optional::empty).links();
    }

    /** Answers with the captured datagrams, in order. */
    private static final class Replay implements Datagrams {
        private final List<ByteBuffer> replies;
        private int next;

        Replay(List<ByteBuffer> replies) {
            this.replies = replies;
        }

        @Override
        public void send(ByteBuffer datagram) {
            datagram.position(datagram.limit());
        }

        @Override
        public void receive(ByteBuffer into) {
            ByteBuffer d = replies.get(next++);
            int start = into.position();
            into.put(d);
            into.limit(into.position()).position(start);
        }

        @Override
        public void close() {}
    }
}
