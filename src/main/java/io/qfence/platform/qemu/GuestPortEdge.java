package io.qfence.platform.qemu;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.errors.IoMessages;
import io.qfence.platform.os.OsException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * Where {@link io.qfence.host.GuestPort}'s callers meet this adapter: a launch or check that failed, a stop that did
 * not end the process, an unsafe or unreadable guest file or record, a QEMU monitor's failure, or a failed system call
 * becomes the ports' {@link HostPortException}, naming the VM. What the cgroup port says passes as it is. Anything else
 * thrown below is a programming error and passes unchanged.
 */
final class GuestPortEdge {

    private GuestPortEdge() {}

    /** {@code vm web-01}: how a failure names its guest. */
    static String object(String vm) {
        return "vm " + vm;
    }

    static <T> T call(String operation, String object, Supplier<T> body) {
        try {
            return body.get();
        } catch (GuestLaunchException | GuestProcess.GuestStopException | GuestFiles.GuestFileException
                 | SerialConsole.SerialConsoleException e) {
            throw refused(operation, object, e.getMessage(), e);
        } catch (QmpException e) {
            throw refused(operation, object, "its QEMU monitor: " + e.getMessage(), e);
        } catch (OsException e) {
            throw e.toPortError(HostPortException.Port.GUESTS, object);
        } catch (UncheckedIOException e) {
            throw refused(operation, object, IoMessages.describe(e.getCause()), e);
        }
    }

    static void run(String operation, String object, Runnable body) {
        call(operation, object, () -> {
            body.run();
            return null;
        });
    }

    private static HostPortException refused(String operation, String object, String why, RuntimeException e) {
        return new HostPortException(HostPortException.Port.GUESTS, operation, object,
                new HostPortException.Refusal(why == null ? e.getClass().getSimpleName() : why), e);
    }
}
