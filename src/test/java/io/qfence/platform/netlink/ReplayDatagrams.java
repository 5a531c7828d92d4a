package io.qfence.platform.netlink;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** A kernel stand-in that answers with captured datagrams, in order, and records what was sent. */
final class ReplayDatagrams implements Datagrams {

    private final Deque<ByteBuffer> replies = new ArrayDeque<>();
    final List<byte[]> sent = new ArrayList<>();

    ReplayDatagrams(List<ByteBuffer> replies) {
        this.replies.addAll(replies);
    }

    ReplayDatagrams then(List<ByteBuffer> more) {
        replies.addAll(more);
        return this;
    }

    @Override
    public void send(ByteBuffer datagram) {
        byte[] b = new byte[datagram.remaining()];
        datagram.get(b);
        sent.add(b);
    }

    @Override
    public void receive(ByteBuffer into) {
        ByteBuffer next = replies.poll();
        if (next == null) {
            throw new AssertionError("the code under test waits for a reply that the kernel would not send");
        }
        int start = into.position();
        into.put(next.duplicate());
        into.limit(into.position()).position(start);
    }

    int remaining() {
        return replies.size();
    }

    @Override
    public void close() {}
}
