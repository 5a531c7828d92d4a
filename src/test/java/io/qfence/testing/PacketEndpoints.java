package io.qfence.testing;

/**
 * The endpoints of traffic tests, as Python scripts run with {@code python3 -c SCRIPT ARGS} inside a test's network
 * namespace: listeners print {@code ready} once bound; probes exit 0 when they got through and 1 otherwise.
 */
public final class PacketEndpoints {

    private PacketEndpoints() {}

    /** Accepts (and closes) TCP connections on every port given as an argument. */
    public static final String LISTEN_TCP = String.join("\n",
            "import socket, sys, threading",
            "socks = []",
            "for p in sys.argv[1:]:",
            "    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "    s.bind(('0.0.0.0', int(p))); s.listen(16); socks.append(s)",
            "def serve(s):",
            "    while True:",
            "        c, _ = s.accept(); c.close()",
            "for s in socks: threading.Thread(target=serve, args=(s,), daemon=True).start()",
            "print('ready', flush=True)",
            "threading.Event().wait()");

    /** Answers every datagram on the port given as its argument. */
    public static final String ECHO_UDP = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', int(sys.argv[1])))",
            "print('ready', flush=True)",
            "while True:",
            "    data, peer = s.recvfrom(512); s.sendto(data, peer)");

    /** Connects to ADDRESS PORT [SOURCE-ADDRESS] with a 1-second timeout. */
    public static final String PROBE_TCP = String.join("\n",
            "import socket, sys",
            "src = (sys.argv[3], 0) if len(sys.argv) > 3 else None",
            "try:",
            "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1, source_address=src).close()",
            "except OSError:",
            "    sys.exit(1)");

    /** Sends a datagram to ADDRESS PORT and waits up to 1 second for an answer. */
    public static final String PROBE_UDP = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)",
            "try:",
            "    s.sendto(b'qf', (sys.argv[1], int(sys.argv[2]))); s.recvfrom(512)",
            "except OSError:",
            "    sys.exit(1)");
}
