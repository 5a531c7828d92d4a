package io.qfence.verify;

import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.host.Sandbox;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostObject;
import io.qfence.realize.Realization;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** How a verify run puts the realization in place on its sandbox, guests included. */
@FunctionalInterface
public interface SandboxApply {

    /**
     * @param guests the sandbox's guest port, to start the guests with (the verifier wraps it to time each boot)
     */
    void apply(Sandbox sandbox, GuestPort guests, Realization realization, Progress progress);

    /**
     * Builds the host objects on the fresh sandbox host, then starts the guests, at most {@code concurrency} at a time.
     */
    static SandboxApply direct(int concurrency) {
        return (sandbox, guests, realization, progress) -> {
            List<HostObject> objects = realization.objects().stream().filter(o -> !(o instanceof Guest)).toList();
            sandbox.build(objects, progress);
            List<Guest> toStart = realization.objects(Guest.class);
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(concurrency, toStart.size())), r -> {
                Thread t = new Thread(r, "verify-start");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> started = new ArrayList<>();
                for (Guest g : toStart) {
                    started.add(pool.submit(() -> guests.start(g, progress)));
                }
                RuntimeException failure = null;
                for (Future<?> f : started) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (failure == null) {
                            failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while starting guests", e);
                    }
                }
                if (failure != null) {
                    throw failure;
                }
            } finally {
                pool.shutdownNow();
            }
        };
    }
}
