package io.qfence.platform.netlink;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The payload of {@code NLMSG_ERROR} (and of a failed dump's {@code NLMSG_DONE}): {@code int error}, then (for
 * {@code NLMSG_ERROR}) the request's header, its payload unless {@code NLM_F_CAPPED}, and extended ACK attributes
 * when {@code NLM_F_ACK_TLVS} is set. {@code error == 0} is a plain ACK.
 */
record ErrorReply(int errno, Optional<String> message, OptionalInt offset) {

    boolean isAck() {
        return errno == 0;
    }

    static ErrorReply ofError(NetlinkMessage m) {
        if (m.payload().limit() < 4) {
            throw new MalformedMessageException("NLMSG_ERROR with " + m.payload().limit() + " payload bytes");
        }
        int error = m.payload().getInt(0);
        int tlvStart;
        if (m.hasFlag(Rtnl.NLM_F_CAPPED) || m.payload().limit() < Rtnl.NLMSGERR_LEN) {
            tlvStart = Rtnl.NLMSGERR_LEN;
        } else {
            int requestLength = m.payload().getInt(4);
            tlvStart = 4 + Rtnl.align(requestLength);
        }
        return withTlvs(m, -error, tlvStart);
    }

    /** {@code NLMSG_DONE} carries the dump's final status as an int, then extended ACK attributes. */
    static ErrorReply ofDone(NetlinkMessage m) {
        int error = m.payload().limit() >= 4 ? m.payload().getInt(0) : 0;
        return withTlvs(m, -error, 4);
    }

    private static ErrorReply withTlvs(NetlinkMessage m, int errno, int tlvStart) {
        if (!m.hasFlag(Rtnl.NLM_F_ACK_TLVS) || tlvStart >= m.payload().limit()) {
            return new ErrorReply(errno, Optional.empty(), OptionalInt.empty());
        }
        Attributes tlvs = Attributes.parse(m.payload(), tlvStart, m.payload().limit() - tlvStart);
        return new ErrorReply(errno, tlvs.string(Rtnl.NLMSGERR_ATTR_MSG).filter(s -> !s.isEmpty()), tlvs.u32(Rtnl.NLMSGERR_ATTR_OFFS));
    }

    NetlinkException toException(NetlinkRequest request) {
        if (errno == NetlinkException.EOPNOTSUPP && request.needs().isPresent()) {
            return new MissingCapabilityException(request.operation(), request.needs().get(), message);
        }
        return new NetlinkException(request.operation(), errno, message, offset);
    }
}
