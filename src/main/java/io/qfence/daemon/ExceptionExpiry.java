package io.qfence.daemon;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.FirewallException;
import io.qfence.model.desired.Group;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * When the applied revision's exceptions stop applying, as pure functions of the state and the time: an exception
 * applies through its {@code expires} day (UTC), so it ends at the next midnight, and a cycle then removes it.
 */
final class ExceptionExpiry {

    private ExceptionExpiry() {
    }

    /** The next instant an exception of {@code state} stops applying, counted from {@code now}'s UTC day. */
    static Optional<Instant> next(DesiredState state, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        return exceptions(state).stream()
                .map(e -> e.exception().expires())
                .flatMap(Optional::stream)
                .filter(last -> !today.isAfter(last))
                .map(ExceptionExpiry::endOf)
                .min(Instant::compareTo);
    }

    /** Exceptions that stopped applying in {@code (since, now]}, worded for the journal's notes. */
    static List<String> expiredBetween(DesiredState state, Instant since, Instant now) {
        List<String> notes = new ArrayList<>();
        for (PlacedException placed : exceptions(state)) {
            Optional<LocalDate> last = placed.exception().expires();
            if (last.isPresent()) {
                Instant end = endOf(last.get());
                if (end.isAfter(since) && !end.isAfter(now)) {
                    FirewallException e = placed.exception();
                    notes.add("exception of group " + placed.group() + " expired at the end of " + last.get() + ": "
                            + flow(e) + e.reason().map(r -> " (" + r + ")").orElse(""));
                }
            }
        }
        return notes;
    }

    /** An exception that still applies, and the instant it stops: what the metrics export for the expiry alert. */
    record Expiring(String group, String flow, Instant end) {}

    /** Every dated exception of {@code state} that still applies at {@code now}, with the instant it stops. */
    static List<Expiring> upcoming(DesiredState state, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        List<Expiring> upcoming = new ArrayList<>();
        for (PlacedException placed : exceptions(state)) {
            placed.exception().expires().filter(last -> !today.isAfter(last)).ifPresent(last ->
                    upcoming.add(new Expiring(placed.group(), flow(placed.exception()), endOf(last))));
        }
        return upcoming;
    }

    /** {@code web -> db tcp/5432}: the exception's flow, as the journal and the metrics name it. */
    private static String flow(FirewallException e) {
        return e.from() + " -> " + e.to() + " " + e.protocol().name().toLowerCase(Locale.ROOT)
                + (e.ports().isEmpty() ? "" : "/" + String.join(",", e.ports().stream().map(Object::toString).toList()));
    }

    private record PlacedException(String group, FirewallException exception) {}

    private static List<PlacedException> exceptions(DesiredState state) {
        List<PlacedException> all = new ArrayList<>();
        for (Group group : state.groups()) {
            for (FirewallException e : group.allow()) {
                all.add(new PlacedException(group.name(), e));
            }
        }
        return all;
    }

    private static Instant endOf(LocalDate lastDay) {
        return lastDay.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
    }
}
