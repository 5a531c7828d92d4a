package io.qfence.platform.sandbox;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.IoMessages;
import io.qfence.host.Sandbox.Listener;
import io.qfence.host.Sandbox.ProbeProtocol;
import io.qfence.platform.os.NetNamespace;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The sandbox's probe listeners: TCP and UDP sockets opened inside a namespace (a socket stays in the namespace it
 * was created in, whichever thread uses it), each served by a daemon thread that answers every connection or
 * datagram with the listener's banner, the address it was reached at (TCP) and the peer's address, so that a
 * report can show masquerading. All of them close with the sandbox.
 */
final class Listeners implements AutoCloseable {

    private final List<NetworkChannel> channels = new ArrayList<>();
    private volatile boolean closed;

    synchronized void start(NetNamespace ns, Listener l) {
        if (closed) {
            throw new IllegalStateException("listeners are closed");
        }
        InetSocketAddress bind = new InetSocketAddress(l.address().map(Object::toString).orElse("0.0.0.0"), l.port());
        NetworkChannel channel = ns.call(() -> {
            NetworkChannel opened = null;
            try {
                if (l.protocol() == ProbeProtocol.TCP) {
                    ServerSocketChannel server = ServerSocketChannel.open();
                    opened = server;
                    server.bind(bind, 64);
                    return server;
                }
                DatagramChannel datagrams = DatagramChannel.open();
                opened = datagrams;
                datagrams.bind(bind);
                return datagrams;
            } catch (IOException e) {
                if (opened != null) {
                    opened.close();
                }
                // a listener is part of the sandbox's set-up: it fails as the ports do
                throw new HostPortException(HostPortException.Port.HOST,
                        "listen on " + l.protocol().name().toLowerCase(java.util.Locale.ROOT) + " " + bind.getHostString() + ":" + l.port(),
                        "network namespace " + ns.name(), new HostPortException.Refusal(IoMessages.describe(e)), e);
            }
        });
        channels.add(channel);
        Thread t = new Thread(() -> serve(channel, l.banner()), "listener-" + l.side() + "-" + l.protocol() + "-" + l.port());
        t.setDaemon(true);
        t.start();
    }

    private void serve(NetworkChannel channel, String banner) {
        try {
            if (channel instanceof ServerSocketChannel server) {
                while (!closed) {
                    try (SocketChannel client = server.accept()) {
                        String line = banner + " at " + address(client.getLocalAddress()) + " from " + address(client.getRemoteAddress()) + "\n";
                        client.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII)));
                    }
                }
            } else if (channel instanceof DatagramChannel datagrams) {
                ByteBuffer in = ByteBuffer.allocate(2048);
                while (!closed) {
                    in.clear();
                    SocketAddress peer = datagrams.receive(in);
                    String line = banner + " from " + address(peer) + "\n";
                    datagrams.send(ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII)), peer);
                }
            }
        } catch (ClosedChannelException e) {
            // closed with the sandbox
        } catch (IOException e) {
            if (!closed) {
                System.err.println("qfence: listener " + channel + " failed: " + io.qfence.model.errors.IoMessages.describe(e));
            }
        }
    }

    private static String address(SocketAddress a) {
        return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() : String.valueOf(a);
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (NetworkChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing everything
            }
        }
        channels.clear();
    }
}
