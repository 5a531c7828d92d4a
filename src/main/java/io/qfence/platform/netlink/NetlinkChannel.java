package io.qfence.platform.netlink;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The request/response engine over one netlink socket: numbers requests, sends several per datagram, matches the
 * kernel's ACKs and errors to them by sequence number, and reads multi-part dumps to their {@code NLMSG_DONE}.
 *
 * <p>Not thread-safe; {@link RtnlClient} serializes.
 */
final class NetlinkChannel implements AutoCloseable {

    /** One datagram: the kernel's dump chunks are at most 32 KiB (netlink_dump), so this leaves room to spare. */
    static final int RECEIVE_BUFFER_BYTES = 256 * 1024;
    /** Socket buffers: room for the ACKs of a full batch chunk (each ACK costs ~1 KiB of skb truesize). */
    static final int SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
    /** At most this many requests per datagram, so that their ACKs fit even an unprivileged receive buffer. */
    static final int MAX_REQUESTS_PER_SEND = 256;
    static final int MAX_BYTES_PER_SEND = 128 * 1024;
    /** A dump that the kernel flags as interrupted (the table changed meanwhile) is retried this often. */
    static final int DUMP_ATTEMPTS = 5;

    private final Datagrams socket;
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(RECEIVE_BUFFER_BYTES);
    private ByteBuffer sendBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final MessageWriter writer = new MessageWriter(64 * 1024);
    private int nextSeq = 1;

    NetlinkChannel(Datagrams socket) {
        this.socket = socket;
    }

    /** Sends one request and waits for its ACK; a refusal becomes a {@link NetlinkException}. */
    void execute(NetlinkRequest request) {
        executeAll(List.of(request)).get(0).ifPresent(e -> {
            throw e;
        });
    }

    /**
     * Sends the requests in order, several per datagram, and returns each one's outcome in the same order (empty =
     * acknowledged). The kernel handles every request of a datagram even after one fails, so one failure does not
     * hide the others' effects: that is why the outcomes are per request.
     */
    List<Optional<NetlinkException>> executeAll(List<NetlinkRequest> requests) {
        List<Optional<NetlinkException>> outcomes = new ArrayList<>(requests.size());
        int from = 0;
        while (from < requests.size()) {
            writer.reset();
            int firstSeq = nextSeq;
            int to = from;
            while (to < requests.size() && to - from < MAX_REQUESTS_PER_SEND
                    && (to == from || writer.size() < MAX_BYTES_PER_SEND)) {
                requests.get(to).encode(writer, nextSeq++);
                to++;
            }
            send();
            outcomes.addAll(awaitAcks(requests.subList(from, to), firstSeq));
            from = to;
        }
        return outcomes;
    }

    private void send() {
        if (sendBuffer.capacity() < writer.size()) {
            sendBuffer = ByteBuffer.allocateDirect(Integer.highestOneBit(writer.size()) * 2);
        }
        sendBuffer.clear();
        writer.copyTo(sendBuffer);
        sendBuffer.flip();
        socket.send(sendBuffer);
    }

    private List<Optional<NetlinkException>> awaitAcks(List<NetlinkRequest> sent, int firstSeq) {
        @SuppressWarnings("unchecked")
        Optional<NetlinkException>[] outcomes = new Optional[sent.size()];
        int pending = sent.size();
        while (pending > 0) {
            for (NetlinkMessage m : receive()) {
                int index = m.seq() - firstSeq;
                if (m.type() != Rtnl.NLMSG_ERROR || index < 0 || index >= outcomes.length || outcomes[index] != null) {
                    continue; // a late reply to an abandoned request, or something we did not ask for
                }
                ErrorReply reply = ErrorReply.ofError(m);
                outcomes[index] = reply.isAck() ? Optional.empty() : Optional.of(reply.toException(sent.get(index)));
                pending--;
            }
        }
        return Arrays.asList(outcomes);
    }

    /**
     * Sends a dump request and decodes every reply of type {@code replyType} with {@code decode}, which must copy what
     * it keeps: the payload it sees is overwritten by the next datagram. Retries when the kernel flags the dump as
     * interrupted by a concurrent change ({@code NLM_F_DUMP_INTR}), so the result is one consistent snapshot.
     */
    <T> List<T> dump(NetlinkRequest request, int replyType, Function<NetlinkMessage, T> decode) {
        for (int attempt = 1; ; attempt++) {
            writer.reset();
            int seq = nextSeq++;
            request.encode(writer, seq);
            send();
            List<T> results = new ArrayList<>();
            boolean interrupted = false;
            boolean done = false;
            while (!done) {
                for (NetlinkMessage m : receive()) {
                    if (m.seq() != seq) {
                        continue;
                    }
                    interrupted |= m.hasFlag(Rtnl.NLM_F_DUMP_INTR);
                    if (m.type() == Rtnl.NLMSG_DONE) {
                        ErrorReply status = ErrorReply.ofDone(m);
                        if (!status.isAck()) {
                            throw status.toException(request);
                        }
                        done = true;
                        break;
                    } else if (m.type() == Rtnl.NLMSG_ERROR) {
                        ErrorReply reply = ErrorReply.ofError(m);
                        if (reply.isAck()) {
                            done = true;
                            break;
                        }
                        throw reply.toException(request);
                    } else if (m.type() == replyType) {
                        results.add(decode.apply(m));
                    }
                }
            }
            if (!interrupted) {
                return results;
            }
            if (attempt == DUMP_ATTEMPTS) {
                throw new NetlinkException(request.operation() + " (interrupted by concurrent changes " + DUMP_ATTEMPTS + " times)",
                        4, Optional.empty(), java.util.OptionalInt.empty());
            }
        }
    }

    /**
     * Sends one request that is answered by a single message of {@code replyType} (e.g. {@code RTM_GETLINK} by name)
     * and decodes it; an error reply becomes a {@link NetlinkException}.
     */
    <T> T get(NetlinkRequest request, int replyType, Function<NetlinkMessage, T> decode) {
        writer.reset();
        int seq = nextSeq++;
        request.encode(writer, seq);
        send();
        while (true) {
            for (NetlinkMessage m : receive()) {
                if (m.seq() != seq) {
                    continue;
                }
                if (m.type() == Rtnl.NLMSG_ERROR) {
                    ErrorReply reply = ErrorReply.ofError(m);
                    if (!reply.isAck()) {
                        throw reply.toException(request);
                    }
                } else if (m.type() == replyType) {
                    return decode.apply(m);
                }
            }
        }
    }

    private List<NetlinkMessage> receive() {
        receiveBuffer.clear();
        socket.receive(receiveBuffer);
        receiveBuffer.position(0);
        return NetlinkMessage.parseAll(receiveBuffer);
    }

    @Override
    public void close() {
        socket.close();
    }
}
