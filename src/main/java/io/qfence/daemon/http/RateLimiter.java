package io.qfence.daemon.http;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Buckets requests per client address and in total. A request passes only if both its client's bucket and the global
 * bucket have a token. The table of clients is bounded: buckets that refilled are forgotten first, and when it is
 * full of busy clients the oldest is dropped (a flood of spoofed addresses cannot grow memory, and is still held by
 * the global bucket).
 */
public final class RateLimiter {

    /** The limits: a burst and a steady rate, per client and for everyone together. */
    public record Buckets(int clientBurst, Duration clientRefill, int globalBurst, Duration globalRefill, int maxClients) {
        public Buckets {
            Objects.requireNonNull(clientRefill, "clientRefill");
            Objects.requireNonNull(globalRefill, "globalRefill");
            if (clientBurst < 1 || globalBurst < 1 || maxClients < 1) {
                throw new IllegalArgumentException("bursts and maxClients must be >= 1");
            }
        }

        /**
         * A forge sends a few deliveries per push at most: 5 at once and then one a minute per client, 10 at once and
         * then one every 6 seconds in total. Each accepted delivery only asks for a cycle, and cycles coalesce.
         */
        public static Buckets defaults() {
            return new Buckets(5, Duration.ofMinutes(1), 10, Duration.ofSeconds(6), 1024);
        }
    }

    private final Buckets limits;
    private final LongSupplier nanoClock;
    private final TokenBucket global;
    private final LinkedHashMap<String, TokenBucket> clients = new LinkedHashMap<>(16, 0.75f, true);

    public RateLimiter(Buckets limits, LongSupplier nanoClock) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.global = new TokenBucket(limits.globalBurst(), limits.globalRefill(), nanoClock);
    }

    /** Empty when the request may proceed; otherwise how long the client should wait. */
    public synchronized Optional<Duration> admit(String client) {
        TokenBucket bucket = clients.get(client);
        if (bucket == null) {
            makeRoom();
            bucket = new TokenBucket(limits.clientBurst(), limits.clientRefill(), nanoClock);
            clients.put(client, bucket);
        }
        if (!bucket.tryTake()) {
            return Optional.of(bucket.timeUntilNext());
        }
        if (!global.tryTake()) {
            return Optional.of(global.timeUntilNext());
        }
        return Optional.empty();
    }

    synchronized int trackedClients() {
        return clients.size();
    }

    private void makeRoom() {
        if (clients.size() < limits.maxClients()) {
            return;
        }
        for (Iterator<Map.Entry<String, TokenBucket>> it = clients.entrySet().iterator(); it.hasNext(); ) {
            if (it.next().getValue().isFull()) {
                it.remove();
            }
        }
        if (clients.size() >= limits.maxClients()) {
            Iterator<String> eldest = clients.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }
}
