package io.qfence.platform.sandbox;

import io.qfence.host.Sandbox.Probe;
import io.qfence.host.Sandbox.ProbeProtocol;
import io.qfence.host.Sandbox.ProbeResult;
import io.qfence.model.Ipv4Address;
import io.qfence.platform.os.NetNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Probes from the outside namespace (a client of a bastion's exposure, say): sockets are created on the namespace's
 * thread, bound to the client's address, then connect and read on pool threads, with the guests' probe timeout
 * ({@link GuestProbes#PROBE_TIMEOUT}); like the guests' agent, a UDP probe sends a datagram every
 * {@value #RESEND_MILLIS} ms until the answer. ICMP is not probed from outside.
 */
final class OutsideProbes {

    static final int TIMEOUT_MILLIS = (int) GuestProbes.PROBE_TIMEOUT.toMillis();
    static final int RESEND_MILLIS = 250;

    private OutsideProbes() {}

    static List<ProbeResult> run(NetNamespace outside, Ipv4Address source, List<Probe> probes) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(16, probes.size())), r -> {
            Thread t = new Thread(r, "outside-probe");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<ProbeResult>> futures = new ArrayList<>();
            for (Probe p : probes) {
                futures.add(pool.submit(() -> probe(outside, source, p)));
            }
            List<ProbeResult> results = new ArrayList<>();
            for (int i = 0; i < probes.size(); i++) {
                try {
                    results.add(futures.get(i).get());
                } catch (Exception e) {
                    results.add(new ProbeResult(probes.get(i).id(), false, "probe failed: " + e.getMessage()));
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static ProbeResult probe(NetNamespace outside, Ipv4Address source, Probe p) throws IOException {
        InetAddress from = InetAddress.getByName(source.toString());
        InetAddress to = InetAddress.getByName(p.address().toString());
        if (p.protocol() == ProbeProtocol.TCP) {
            try (Socket socket = outside.call(() -> {
                Socket s = new Socket();
                s.bind(new InetSocketAddress(from, 0));
                return s;
            })) {
                socket.connect(new InetSocketAddress(to, p.port()), TIMEOUT_MILLIS);
                socket.setSoTimeout(TIMEOUT_MILLIS);
                return new ProbeResult(p.id(), true, firstLine(socket.getInputStream()));
            } catch (SocketTimeoutException e) {
                return new ProbeResult(p.id(), false, "timed out");
            } catch (IOException e) {
                return new ProbeResult(p.id(), false, io.qfence.model.errors.IoMessages.describe(e));
            }
        }
        if (p.protocol() == ProbeProtocol.UDP) {
            try (DatagramSocket socket = outside.call(() -> new DatagramSocket(new InetSocketAddress(from, 0)))) {
                socket.setSoTimeout(RESEND_MILLIS);
                byte[] hello = "qf\n".getBytes(StandardCharsets.US_ASCII);
                long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
                while (System.nanoTime() < deadline) {
                    socket.send(new DatagramPacket(hello, hello.length, to, p.port()));
                    DatagramPacket answer = new DatagramPacket(new byte[512], 512);
                    try {
                        socket.receive(answer);
                    } catch (SocketTimeoutException e) {
                        continue;
                    }
                    return new ProbeResult(p.id(), true, new String(answer.getData(), 0, answer.getLength(), StandardCharsets.US_ASCII).strip());
                }
                return new ProbeResult(p.id(), false, "timed out");
            } catch (IOException e) {
                return new ProbeResult(p.id(), false, io.qfence.model.errors.IoMessages.describe(e));
            }
        }
        return new ProbeResult(p.id(), false, "ICMP is not probed from outside");
    }

    /** The first line the server sends, up to 200 bytes; empty when it closes without a word. */
    private static String firstLine(InputStream in) throws IOException {
        byte[] buffer = new byte[200];
        int n = 0;
        while (n < buffer.length) {
            int b = in.read();
            if (b < 0 || b == '\n') {
                break;
            }
            buffer[n++] = (byte) b;
        }
        return new String(buffer, 0, n, StandardCharsets.US_ASCII).strip();
    }
}
