package io.qfence.platform.netlink;

import io.qfence.model.host.Capability;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One request, not yet numbered: the channel gives it a sequence number when it is sent, so the same request can be
 * encoded for a golden test with a fixed number.
 *
 * @param operation      what the request does, for error messages ("create bridge qfb-web")
 * @param body           writes the payload after {@code nlmsghdr}: the family header and the attributes
 * @param needs          the kernel feature whose absence shows as {@code EOPNOTSUPP} for this request, if any
 */
record NetlinkRequest(String operation, int type, int flags, Consumer<MessageWriter> body, Optional<Capability> needs) {

    NetlinkRequest {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(needs, "needs");
    }

    /** A request the kernel must acknowledge ({@code NLM_F_REQUEST | NLM_F_ACK | extraFlags}). */
    static NetlinkRequest acked(String operation, int type, int extraFlags, Consumer<MessageWriter> body) {
        return new NetlinkRequest(operation, type, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_ACK | extraFlags, body, Optional.empty());
    }

    static NetlinkRequest dump(String operation, int type, Consumer<MessageWriter> body) {
        return new NetlinkRequest(operation, type, Rtnl.NLM_F_REQUEST | Rtnl.NLM_F_DUMP, body, Optional.empty());
    }

    NetlinkRequest needing(Capability capability) {
        return new NetlinkRequest(operation, type, flags, body, Optional.of(capability));
    }

    void encode(MessageWriter writer, int seq) {
        int message = writer.beginMessage(type, flags, seq, 0);
        body.accept(writer);
        writer.endMessage(message);
    }

    /** The request's exact bytes with sequence number {@code seq} and port id 0 (kernel). */
    byte[] encode(int seq) {
        MessageWriter writer = new MessageWriter();
        encode(writer, seq);
        return writer.toByteArray();
    }
}
