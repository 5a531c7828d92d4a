package io.qfence.platform.netlink;

import io.qfence.model.errors.HostPortException;
import io.qfence.platform.os.OsException;
import java.util.function.Supplier;

/**
 * Where {@link io.qfence.host.LinkPort}'s callers meet this adapter: a netlink error reply or a failed system call (a
 * tap through {@code /dev/net/tun}) becomes the ports' {@link HostPortException}, with the link it was about. Anything
 * else thrown below is a programming error and passes unchanged.
 */
final class LinkPortEdge {

    private LinkPortEdge() {}

    /** {@code link qfb-web}: how a failure names its link. */
    static String object(String name) {
        return "link " + name;
    }

    static <T> T call(String object, Supplier<T> body) {
        return call(HostPortException.Port.LINKS, object, body);
    }

    /** As {@link #call(String, Supplier)} for another port that asks this adapter (the host's facts). */
    static <T> T call(HostPortException.Port port, String object, Supplier<T> body) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            throw translate(port, object, e);
        }
    }

    static void run(String object, Runnable body) {
        call(object, () -> {
            body.run();
            return null;
        });
    }

    /**
     * A failure of this adapter as the port declares it.
     *
     * @throws RuntimeException {@code e} itself when it is none of this adapter's failures (a bug)
     */
    static HostPortException translate(String object, RuntimeException e) {
        return translate(HostPortException.Port.LINKS, object, e);
    }

    private static HostPortException translate(HostPortException.Port port, String object, RuntimeException e) {
        if (e instanceof HostPortException translated) {
            return translated;
        }
        if (e instanceof NetlinkException netlink) {
            return netlink.toPortError(port, object);
        }
        if (e instanceof OsException os) {
            return os.toPortError(port, object);
        }
        throw e;
    }

    /** qfence's own refusal: a link that is not qfence's, or not there, is never changed. */
    static HostPortException refused(String operation, String name, String why) {
        return new HostPortException(HostPortException.Port.LINKS, operation, object(name), new HostPortException.Refusal(why));
    }
}
