package io.qfence.platform.os;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import jnr.ffi.byref.IntByReference;

/**
 * A raw {@code AF_NETLINK} datagram socket ({@code SOCK_CLOEXEC}), bound to a kernel-assigned port id.
 *
 * <p>A netlink socket belongs to the network namespace of the thread that created it, for its whole life. To talk to
 * the kernel of a namespace, open the socket on that namespace's thread ({@code netns.call(() -> NetlinkSocket.open(..))});
 * it may be used from any thread afterwards.
 *
 * <p>Not thread-safe: one request/response conversation at a time (the caller serializes).
 */
public final class NetlinkSocket implements AutoCloseable {

    /** The rtnetlink protocol: links, addresses, routes, neighbours. */
    public static final int NETLINK_ROUTE = 0;

    private static final int SOCKADDR_NL_LENGTH = 12;

    private final int protocol;
    private final int portId;
    private int fd;

    private NetlinkSocket(int fd, int protocol, int portId) {
        this.fd = fd;
        this.protocol = protocol;
        this.portId = portId;
    }

    /** Opens and binds a socket in the calling thread's network namespace. */
    public static NetlinkSocket open(int protocol) {
        int fd = OsNative.check(OsNative.LIBC.socket(OsNative.LibC.AF_NETLINK, OsNative.LibC.SOCK_RAW | OsNative.LibC.SOCK_CLOEXEC, protocol),
                "socket(AF_NETLINK, " + protocol + ")");
        try {
            // Port id 0: the kernel picks a unique one (usually the pid for the first socket), which we read back.
            OsNative.check(OsNative.LIBC.bind(fd, sockaddrNl(0), SOCKADDR_NL_LENGTH), "bind netlink socket");
            byte[] bound = new byte[SOCKADDR_NL_LENGTH];
            IntByReference length = new IntByReference(SOCKADDR_NL_LENGTH);
            OsNative.check(OsNative.LIBC.getsockname(fd, bound, length), "getsockname netlink socket");
            int portId = ByteBuffer.wrap(bound).order(ByteOrder.nativeOrder()).getInt(4);
            return new NetlinkSocket(fd, protocol, portId);
        } catch (RuntimeException e) {
            OsNative.LIBC.close(fd);
            throw e;
        }
    }

    private static byte[] sockaddrNl(int portId) {
        ByteBuffer b = ByteBuffer.allocate(SOCKADDR_NL_LENGTH).order(ByteOrder.nativeOrder());
        b.putShort((short) OsNative.LibC.AF_NETLINK).putShort((short) 0).putInt(portId).putInt(0);
        return b.array();
    }

    /** The port id the kernel assigned; replies carry it in {@code nlmsg_pid}. */
    public int portId() {
        return portId;
    }

    public int protocol() {
        return protocol;
    }

    /**
     * Asks the kernel for extended ACKs (error text and offending attribute) and for capped ACKs (an error reply
     * echoes only the failed request's header, not its payload: batches of large requests then need less receive
     * buffer). Both exist since Linux 4.12 / 4.3.
     */
    public void enableExtendedAcks() {
        setIntOption(OsNative.LibC.SOL_NETLINK, OsNative.LibC.NETLINK_EXT_ACK, 1, "setsockopt(NETLINK_EXT_ACK)");
        setIntOption(OsNative.LibC.SOL_NETLINK, OsNative.LibC.NETLINK_CAP_ACK, 1, "setsockopt(NETLINK_CAP_ACK)");
    }

    /**
     * Makes the kernel validate dump requests strictly (unknown header fields or attributes are errors, and
     * supported filters apply). Linux 4.20+.
     */
    public void enableStrictChecking() {
        setStrictChecking(true);
    }

    /** Turns strict checking of dump requests on or off (see {@link #enableStrictChecking}). */
    public void setStrictChecking(boolean strict) {
        setIntOption(OsNative.LibC.SOL_NETLINK, OsNative.LibC.NETLINK_GET_STRICT_CHK, strict ? 1 : 0, "setsockopt(NETLINK_GET_STRICT_CHK)");
    }

    /**
     * Sets the receive buffer. Root may exceed {@code net.core.rmem_max} ({@code SO_RCVBUFFORCE}); others get what
     * the limit allows. A batch whose ACKs overflow the buffer loses them ({@code ENOBUFS}), so callers size batches
     * to fit it.
     */
    public void setReceiveBufferSize(int bytes) {
        setBufferSize(OsNative.LibC.SO_RCVBUFFORCE, OsNative.LibC.SO_RCVBUF, bytes, "SO_RCVBUF");
    }

    /** Sets the send buffer: one {@code sendmsg} may carry at most this much (less a small overhead). */
    public void setSendBufferSize(int bytes) {
        setBufferSize(OsNative.LibC.SO_SNDBUFFORCE, OsNative.LibC.SO_SNDBUF, bytes, "SO_SNDBUF");
    }

    private void setBufferSize(int forced, int plain, int bytes, String name) {
        if (bytes <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + bytes);
        }
        byte[] value = intBytes(bytes);
        if (OsNative.LIBC.setsockopt(fd(), OsNative.LibC.SOL_SOCKET, forced, value, value.length) == 0) {
            return;
        }
        setIntOption(OsNative.LibC.SOL_SOCKET, plain, bytes, "setsockopt(" + name + ")");
    }

    /** A receive that waits longer than this fails with EAGAIN instead of hanging on a kernel that never answers. */
    public void setReceiveTimeout(Duration timeout) {
        ByteBuffer tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        tv.putLong(timeout.getSeconds()).putLong(timeout.getNano() / 1000L);
        OsNative.check(OsNative.LIBC.setsockopt(fd(), OsNative.LibC.SOL_SOCKET, OsNative.LibC.SO_RCVTIMEO, tv.array(), 16),
                "setsockopt(SO_RCVTIMEO)");
    }

    private void setIntOption(int level, int option, int value, String operation) {
        byte[] bytes = intBytes(value);
        OsNative.check(OsNative.LIBC.setsockopt(fd(), level, option, bytes, bytes.length), operation);
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    /**
     * Sends the buffer's remaining bytes as one datagram to the kernel (port 0), and advances its position.
     * The buffer must be direct, so the kernel reads it in place.
     */
    public void send(ByteBuffer datagram) {
        requireDirect(datagram);
        int length = datagram.remaining();
        long sent;
        do {
            sent = OsNative.LIBC.send(fd(), datagram, length, 0);
        } while (sent < 0 && OsNative.errno() == OsNative.LibC.EINTR);
        if (sent < 0) {
            OsNative.check(-1, "send netlink message (" + length + " bytes)");
        }
        if (sent != length) {
            // Datagram sockets send all or nothing; anything else is a bug worth stopping for.
            throw new OsException("send netlink message", 0, "sent " + sent + " of " + length + " bytes");
        }
        datagram.position(datagram.position() + length);
    }

    /**
     * Receives one datagram into {@code into} at its position, and sets its limit after the datagram's end. Returns
     * the datagram's length. A datagram that does not fit fails (EMSGSIZE) rather than being silently truncated.
     */
    public int receive(ByteBuffer into) {
        requireDirect(into);
        int room = into.remaining();
        long received;
        do {
            received = OsNative.LIBC.recv(fd(), into, room, OsNative.LibC.MSG_TRUNC);
        } while (received < 0 && OsNative.errno() == OsNative.LibC.EINTR);
        if (received < 0) {
            OsNative.check(-1, "receive netlink message");
        }
        if (received > room) {
            throw new OsException("receive netlink message", 90,
                    "datagram of " + received + " bytes does not fit a " + room + "-byte buffer");
        }
        into.limit(into.position() + (int) received);
        return (int) received;
    }

    private static void requireDirect(ByteBuffer b) {
        if (!b.isDirect()) {
            throw new IllegalArgumentException("netlink buffers must be direct ByteBuffers");
        }
    }

    private int fd() {
        if (fd < 0) {
            throw new IllegalStateException("netlink socket is closed");
        }
        return fd;
    }

    @Override
    public void close() {
        if (fd >= 0) {
            int closing = fd;
            fd = -1;
            OsNative.check(OsNative.LIBC.close(closing), "close netlink socket");
        }
    }
}
