package io.qfence.platform.nft;

import io.qfence.model.errors.HostPortException;
import io.qfence.platform.os.OsException;
import java.util.function.Supplier;

/**
 * Where {@link io.qfence.host.FirewallPort}'s callers meet this adapter: a libnftables failure (its error buffer's
 * words; libnftables reports no errno) or a failed system call becomes the ports' {@link HostPortException}. Anything
 * else thrown below is a programming error and passes unchanged.
 */
final class FirewallPortEdge {

    /** The object of every firewall operation: the tables qfence owns. */
    static final String OWNED_TABLES = "nft tables inet qfence, bridge qfence";

    private FirewallPortEdge() {}

    static <T> T call(HostPortException.Port port, String object, Supplier<T> body) {
        try {
            return body.get();
        } catch (NftException e) {
            throw new HostPortException(port, e.operation(), object, new HostPortException.Refusal(e.nftMessage()), e);
        } catch (OsException e) {
            throw e.toPortError(port, object);
        }
    }

    static void run(String object, Runnable body) {
        call(HostPortException.Port.FIREWALL, object, () -> {
            body.run();
            return null;
        });
    }
}
