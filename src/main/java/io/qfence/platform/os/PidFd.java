package io.qfence.platform.os;

import java.time.Duration;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A process descriptor ({@code pidfd_open}, Linux 5.3+): a stable handle on one process that cannot be confused with
 * a later process reusing its pid. Open it first, then check {@code /proc/PID} (uid, cmdline), then signal it: a
 * signal sent through the descriptor reaches the process that was checked, or nobody.
 *
 * <p>It becomes readable when the process terminates (as soon as it is a zombie, before anyone reaps it), which is
 * how qfence waits for the end of a guest that is not its child, without polling {@code /proc}.
 */
public final class PidFd implements AutoCloseable {

    private final long pid;
    private final Descriptor descriptor;

    private PidFd(long pid, Descriptor descriptor) {
        this.pid = pid;
        this.descriptor = descriptor;
    }

    /** Fails with errno ESRCH if there is no such process. The descriptor is close-on-exec. */
    public static PidFd open(long pid) {
        if (pid < 2 || pid > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pid must be 2.." + Integer.MAX_VALUE + ", got " + pid);
        }
        int fd = OsNative.check(OsNative.LIBC.pidfd_open((int) pid, 0), "pidfd_open " + pid);
        return new PidFd(pid, new Descriptor(fd, "pidfd " + pid));
    }

    public long pid() {
        return pid;
    }

    /** True once the process has terminated (zombie or reaped). */
    public boolean hasExited() {
        return awaitExit(Duration.ZERO);
    }

    /** Waits up to {@code timeout} for the process to terminate; true if it has. */
    public boolean awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Pointer pollfd = Memory.allocateDirect(OsNative.runtime(), 8, true);
        while (true) {
            pollfd.putInt(0, descriptor.number());
            pollfd.putShort(4, (short) OsNative.LibC.POLLIN);
            pollfd.putShort(6, (short) 0);
            long remainingMillis = Math.max(0, (deadline - System.nanoTime() + 999_999) / 1_000_000);
            int ready = OsNative.LIBC.poll(pollfd, 1, (int) Math.min(Integer.MAX_VALUE, remainingMillis));
            if (ready < 0) {
                if (OsNative.errno() == OsNative.LibC.EINTR) {
                    continue;
                }
                OsNative.check(ready, "poll pidfd " + pid);
            }
            if (ready > 0) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
        }
    }

    /** Sends {@code signal} to exactly this process. Fails with errno ESRCH if it has already terminated. */
    public void signal(Signal signal) {
        OsNative.check(OsNative.LIBC.pidfd_send_signal(descriptor.number(), signal.number(), null, 0),
                "pidfd_send_signal " + signal + " to " + pid);
    }

    @Override
    public void close() {
        descriptor.close();
    }
}
