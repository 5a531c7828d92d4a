package io.qfence.platform.cgroup;

import io.qfence.model.errors.HostPortException;
import io.qfence.platform.os.OsException;
import java.util.function.Supplier;

/**
 * Where {@link io.qfence.host.CgroupPort} and {@link io.qfence.host.CgroupProcesses} meet their callers: a cgroupfs
 * failure or a failed system call becomes the ports' {@link HostPortException}, naming the cgroup. Anything else thrown
 * below is a programming error and passes unchanged.
 */
final class CgroupPortEdge {

    private CgroupPortEdge() {}

    /** {@code cgroup qfence/web}: how a failure names its cgroup. */
    static String object(String path) {
        return "cgroup " + path;
    }

    static <T> T call(HostPortException.Port port, String object, Supplier<T> body) {
        try {
            return body.get();
        } catch (CgroupException e) {
            throw e.toPortError(port, object);
        } catch (OsException e) {
            throw e.toPortError(port, object);
        }
    }

    static <T> T call(String object, Supplier<T> body) {
        return call(HostPortException.Port.CGROUPS, object, body);
    }

    static void run(String object, Runnable body) {
        call(object, () -> {
            body.run();
            return null;
        });
    }
}
