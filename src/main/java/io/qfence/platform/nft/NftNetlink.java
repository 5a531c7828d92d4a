package io.qfence.platform.nft;

import io.qfence.platform.os.NetlinkSocket;
import io.qfence.platform.os.OsException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What qfence reads from nf_tables directly over NETLINK_NETFILTER, where libnftables would fetch far more than asked
 * for: the ruleset generation, and named counters' values.
 *
 * <p>The generation of one network namespace ({@code NFT_MSG_GETGEN} over NETLINK_NETFILTER): a
 * counter the kernel increments with every committed transaction, in any table. libnftables keeps it to itself, so
 * the client asks the kernel directly. Two equal readings around a listing prove the listing is what the kernel held
 * at that generation; a reading one past the one a transaction started from proves that nothing but that transaction
 * committed in between.
 *
 * <p>The socket belongs to the namespace of the thread that opens it; use it from that thread only.
 */
final class NftNetlink implements AutoCloseable {

    private static final int NETLINK_NETFILTER = 12;
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int NFT_MSG_NEWGEN = 15;
    private static final int NFT_MSG_GETGEN = 16;
    private static final int NFT_MSG_NEWOBJ = 18;
    private static final int NFT_MSG_GETOBJ = 19;
    private static final int NFTA_OBJ_TABLE = 1;
    private static final int NFTA_OBJ_NAME = 2;
    private static final int NFTA_OBJ_TYPE = 3;
    private static final int NFTA_OBJ_DATA = 4;
    private static final int NFT_OBJECT_COUNTER = 1;
    private static final int NFTA_COUNTER_BYTES = 1;
    private static final int NFTA_COUNTER_PACKETS = 2;
    private static final int NLMSG_DONE = 3;
    private static final int NLM_F_DUMP = 0x300;
    private static final int NFTA_GEN_ID = 1;
    private static final int NLMSG_ERROR = 2;
    private static final int NLM_F_REQUEST = 1;
    private static final int HEADER = 16;

    private final NetlinkSocket socket;
    private final ByteBuffer request = ByteBuffer.allocateDirect(HEADER + 4).order(ByteOrder.nativeOrder());
    private final ByteBuffer reply = ByteBuffer.allocateDirect(65536).order(ByteOrder.nativeOrder());
    private int sequence;

    private NftNetlink(NetlinkSocket socket) {
        this.socket = socket;
    }

    static NftNetlink open() {
        return new NftNetlink(NetlinkSocket.open(NETLINK_NETFILTER));
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

    /** A named counter's values. */
    record Counter(String name, long packets, long bytes) {}

    /**
     * The named counters of table {@code name} in {@code family} ({@code inet} or {@code bridge}), as the kernel dumps
     * them (NFT_MSG_GETOBJ filtered by table and type); empty if the table does not exist.
     */
    java.util.List<Counter> counters(String family, String table) {
        int nfproto = switch (family) {
            case "inet" -> 1;
            case "bridge" -> 7;
            default -> throw new IllegalArgumentException("no nfproto for family " + family);
        };
        byte[] tableName = (table + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int tableAttr = 4 + tableName.length;
        int length = HEADER + 4 + ((tableAttr + 3) & ~3) + 8;
        ByteBuffer dump = ByteBuffer.allocateDirect(length).order(ByteOrder.nativeOrder());
        int seq = ++sequence;
        dump.putInt(length).putShort((short) (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETOBJ)).putShort((short) (NLM_F_REQUEST | NLM_F_DUMP))
                .putInt(seq).putInt(0);
        dump.put((byte) nfproto).put((byte) 0).putShort((short) 0);
        dump.putShort((short) tableAttr).putShort((short) NFTA_OBJ_TABLE).put(tableName);
        while (dump.position() % 4 != 0) {
            dump.put((byte) 0);
        }
        dump.putShort((short) 8).putShort((short) NFTA_OBJ_TYPE).order(ByteOrder.BIG_ENDIAN).putInt(NFT_OBJECT_COUNTER)
                .order(ByteOrder.nativeOrder());
        dump.flip();
        socket.send(dump);
        java.util.List<Counter> out = new java.util.ArrayList<>();
        while (true) {
            reply.clear();
            int received = socket.receive(reply);
            int at = 0;
            while (at + HEADER <= received) {
                int len = reply.getInt(at);
                int type = reply.getShort(at + 4) & 0xffff;
                if (len < HEADER || at + len > received) {
                    throw new OsException("dump nf_tables counters", 0, "malformed netlink message of length " + len);
                }
                if (reply.getInt(at + 8) == seq) {
                    if (type == NLMSG_DONE) {
                        return out;
                    }
                    if (type == NLMSG_ERROR) {
                        int error = -reply.getInt(at + HEADER);
                        if (error == 2) { // ENOENT: no such table
                            return java.util.List.of();
                        }
                        throw new OsException("dump nf_tables counters of " + family + " " + table, error,
                                "the kernel answered with error " + error);
                    }
                    if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWOBJ)) {
                        counter(reply, at, len, table).ifPresent(out::add);
                    }
                }
                at += (len + 3) & ~3;
            }
        }
    }

    /** One NFT_MSG_NEWOBJ: the counter it describes, if it is a counter of {@code table}. */
    private static java.util.Optional<Counter> counter(ByteBuffer m, int start, int length, String table) {
        ByteBuffer be = m.duplicate().order(ByteOrder.BIG_ENDIAN);
        String name = null;
        String inTable = null;
        int type = -1;
        long packets = -1;
        long bytes = -1;
        int at = start + HEADER + 4;
        int end = start + length;
        while (at + 4 <= end) {
            int len = m.getShort(at) & 0xffff;
            int kind = m.getShort(at + 2) & 0x3fff;
            if (len < 4 || at + len > end) {
                break;
            }
            switch (kind) {
                case NFTA_OBJ_TABLE -> inTable = string(m, at + 4, len - 4);
                case NFTA_OBJ_NAME -> name = string(m, at + 4, len - 4);
                case NFTA_OBJ_TYPE -> type = be.getInt(at + 4);
                case NFTA_OBJ_DATA -> {
                    int inner = at + 4;
                    while (inner + 4 <= at + len) {
                        int ilen = m.getShort(inner) & 0xffff;
                        int ikind = m.getShort(inner + 2) & 0x3fff;
                        if (ilen < 4) {
                            break;
                        }
                        if (ikind == NFTA_COUNTER_BYTES && ilen >= 12) {
                            bytes = be.getLong(inner + 4);
                        } else if (ikind == NFTA_COUNTER_PACKETS && ilen >= 12) {
                            packets = be.getLong(inner + 4);
                        }
                        inner += (ilen + 3) & ~3;
                    }
                }
                default -> { }
            }
            at += (len + 3) & ~3;
        }
        if (type != NFT_OBJECT_COUNTER || name == null || !table.equals(inTable) || packets < 0 || bytes < 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Counter(name, packets, bytes));
    }

    private static String string(ByteBuffer m, int at, int length) {
        byte[] b = new byte[length];
        m.get(at, b);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
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
