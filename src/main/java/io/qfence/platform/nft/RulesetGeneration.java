package io.qfence.platform.nft;

import io.qfence.platform.os.NetlinkSocket;
import io.qfence.platform.os.OsException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The nf_tables ruleset generation of one network namespace ({@code NFT_MSG_GETGEN} over NETLINK_NETFILTER): a
 * counter the kernel increments with every committed transaction, in any table. libnftables keeps it to itself, so
 * the client asks the kernel directly. Two equal readings around a listing prove the listing is what the kernel held
 * at that generation; a reading one past the one a transaction started from proves that nothing but that transaction
 * committed in between.
 *
 * <p>The socket belongs to the namespace of the thread that opens it; use it from that thread only.
 */
final class RulesetGeneration implements AutoCloseable {

    private static final int NETLINK_NETFILTER = 12;
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int NFT_MSG_NEWGEN = 15;
    private static final int NFT_MSG_GETGEN = 16;
    private static final int NFTA_GEN_ID = 1;
    private static final int NLMSG_ERROR = 2;
    private static final int NLM_F_REQUEST = 1;
    private static final int HEADER = 16;

    private final NetlinkSocket socket;
    private final ByteBuffer request = ByteBuffer.allocateDirect(HEADER + 4).order(ByteOrder.nativeOrder());
    private final ByteBuffer reply = ByteBuffer.allocateDirect(8192).order(ByteOrder.nativeOrder());
    private int sequence;

    private RulesetGeneration(NetlinkSocket socket) {
        this.socket = socket;
    }

    static RulesetGeneration open() {
        return new RulesetGeneration(NetlinkSocket.open(NETLINK_NETFILTER));
    }

    /** The current generation (an unsigned 32-bit counter). */
    long current() {
        int seq = ++sequence;
        request.clear();
        request.putInt(HEADER + 4).putShort((short) (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETGEN)).putShort((short) NLM_F_REQUEST)
                .putInt(seq).putInt(0);
        request.put((byte) 0).put((byte) 0).putShort((short) 0); // nfgenmsg: AF_UNSPEC, NFNETLINK_V0, res_id 0
        request.flip();
        socket.send(request);
        while (true) {
            reply.clear();
            socket.receive(reply);
            int length = reply.getInt(0);
            int type = reply.getShort(4) & 0xffff;
            if (reply.getInt(8) != seq) {
                continue; // a late reply to an earlier request
            }
            if (type == NLMSG_ERROR) {
                int error = -reply.getInt(HEADER);
                throw new OsException("read the nf_tables generation", error, "the kernel answered with error " + error);
            }
            if (type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN)) {
                throw new OsException("read the nf_tables generation", 0, "unexpected netlink message type " + type);
            }
            return generationId(reply, length);
        }
    }

    static long generationId(ByteBuffer message, int length) {
        int at = HEADER + 4;
        while (at + 4 <= length) {
            int len = message.getShort(at) & 0xffff;
            int type = message.getShort(at + 2) & 0x3fff;
            if (len < 4) {
                break;
            }
            if (type == NFTA_GEN_ID && len >= 8) {
                return Integer.toUnsignedLong(message.duplicate().order(ByteOrder.BIG_ENDIAN).getInt(at + 4));
            }
            at += (len + 3) & ~3;
        }
        throw new OsException("read the nf_tables generation", 0, "the reply carries no NFTA_GEN_ID");
    }

    @Override
    public void close() {
        socket.close();
    }
}
