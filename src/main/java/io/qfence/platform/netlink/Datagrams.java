package io.qfence.platform.netlink;

import io.qfence.platform.os.NetlinkSocket;
import java.nio.ByteBuffer;

/**
 * Where {@link NetlinkChannel} sends and receives datagrams: the kernel through a {@link NetlinkSocket}, or in tests a
 * replay of captured kernel replies.
 */
interface Datagrams extends AutoCloseable {

    /** Sends the buffer's remaining bytes as one datagram (buffer is direct). */
    void send(ByteBuffer datagram);

    /** Receives one datagram at the buffer's position and sets its limit after it. */
    void receive(ByteBuffer into);

    @Override
    void close();

    static Datagrams over(NetlinkSocket socket) {
        socket.enableExtendedAcks();
        socket.setReceiveBufferSize(NetlinkChannel.SOCKET_BUFFER_BYTES);
        socket.setSendBufferSize(NetlinkChannel.SOCKET_BUFFER_BYTES);
        socket.setReceiveTimeout(java.time.Duration.ofSeconds(60));
        return new Datagrams() {
            @Override
            public void send(ByteBuffer datagram) {
                socket.send(datagram);
            }

            @Override
            public void receive(ByteBuffer into) {
                socket.receive(into);
            }

            @Override
            public void close() {
                socket.close();
            }
        };
    }
}
