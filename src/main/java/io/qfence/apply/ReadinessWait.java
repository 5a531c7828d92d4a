package io.qfence.apply;

import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.BootStatus;
import io.qfence.model.host.Guest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code apply --wait-ready}: after an apply, waits until every running guest's console says cloud-init finished
 * ({@link GuestPort#bootStatus}), or the timeout passes. Each guest is reported once when it becomes ready, and every
 * guest that is not ready is named at the end with what its console last showed. Reading a console changes nothing.
 */
public final class ReadinessWait {

    /**
     * The realized guest's config key that holds the instance id of its cloud-init seed, when qfence generated one; a
     * readiness line for another id then does not count (the guest still runs the previous configuration).
     */
    public static final String SEED_INSTANCE_ID = "cloud-init.instance-id";

    /** The seed's drive as the realizer writes it (DESIGN §17): its {@code serial} is the seed's instance id. */
    private static final java.util.regex.Pattern SEED_DEVICE =
            java.util.regex.Pattern.compile("virtio-blk-pci,drive=seed0,serial=(qf-[0-9a-f]{16})");

    /**
     * The instance id of the guest's seed: the config key {@link #SEED_INSTANCE_ID} when the realizer set it, else the
     * serial of its seed drive in the argv; empty for a guest without a seed.
     */
    public static Optional<String> expectedInstanceId(Guest g) {
        String key = g.config().get(SEED_INSTANCE_ID);
        if (key != null) {
            return Optional.of(key);
        }
        return g.argv().stream().map(SEED_DEVICE::matcher).filter(java.util.regex.Matcher::matches).map(m -> m.group(1)).findFirst();
    }

    /** How the wait pauses between two looks at the consoles; tests pass one that advances a fake clock. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** @param statuses each waited-for guest's last status, in guest-name order */
    public record Waited(Map<String, BootStatus> statuses, Duration waited) {
        public Waited {
            statuses = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(statuses));
            Objects.requireNonNull(waited, "waited");
        }

        public boolean allReady() {
            return statuses.values().stream().allMatch(s -> s instanceof BootStatus.Finished);
        }

        public List<String> notReady() {
            return statuses.entrySet().stream().filter(e -> !(e.getValue() instanceof BootStatus.Finished)).map(Map.Entry::getKey).toList();
        }
    }

    private ReadinessWait() {}

    /** The guests of {@code desired} that should be running: the ones to wait for. */
    public static List<Guest> runningGuests(List<? extends io.qfence.model.host.HostObject> desired) {
        return desired.stream().filter(o -> o instanceof Guest g && g.state() == io.qfence.model.host.GuestState.RUNNING)
                .map(o -> (Guest) o).sorted(Comparator.comparing(Guest::vm)).toList();
    }

    public static Waited await(GuestPort port, List<Guest> guests, Duration timeout, Duration every, Clock clock, Sleeper sleeper,
                                Progress progress) throws HostPortException, InterruptedException {
        if (timeout.isNegative() || every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("timeout must be >= 0 and the interval > 0, got " + timeout + " and " + every);
        }
        Instant start = clock.instant();
        Map<String, BootStatus> statuses = new LinkedHashMap<>();
        List<Guest> waiting = new ArrayList<>(guests.stream().sorted(Comparator.comparing(Guest::vm)).toList());
        waiting.forEach(g -> statuses.put(g.vm(), new BootStatus.Unknown("not read yet")));
        while (true) {
            for (var it = waiting.iterator(); it.hasNext(); ) {
                Guest g = it.next();
                BootStatus status = port.bootStatus(g, expectedInstanceId(g));
                statuses.put(g.vm(), status);
                if (status instanceof BootStatus.Finished r) {
                    progress.step(g.address(), "ready: cloud-init finished"
                            + r.bootSeconds().map(b -> " " + b.toPlainString() + " s after boot").orElse("") + r.instanceId().map(i -> " (instance " + i + ")").orElse("") + ", seen after " + seconds(Duration.between(start, clock.instant())));
                    it.remove();
                }
            }
            Duration waited = Duration.between(start, clock.instant());
            if (waiting.isEmpty() || waited.compareTo(timeout) >= 0) {
                for (Guest g : waiting) {
                    BootStatus s = statuses.get(g.vm());
                    progress.step(g.address(), "not ready after " + seconds(waited) + ": " + s.label()
                            + (s instanceof BootStatus.Unknown u ? " (" + u.why() + ")" : ""));
                }
                return new Waited(statuses, waited);
            }
            sleeper.sleep(every.compareTo(timeout.minus(waited)) < 0 ? every : timeout.minus(waited));
        }
    }

    private static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
