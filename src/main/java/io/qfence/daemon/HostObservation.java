package io.qfence.daemon;

import io.qfence.model.host.GuestState;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The parts of an observed host the daemon reports: each guest and its state ({@code qfence status}, the
 * {@code qfence_guests} gauge), and the kernel's own counters (OOM kills per VM cgroup, packets per nft drop counter),
 * exported as read.
 */
public record HostObservation(List<GuestStatus> guests, SortedMap<String, Long> oomKillsByVm,
                              SortedMap<String, Long> dropPacketsByCounter) {

    public static final HostObservation NONE = new HostObservation(List.of(), new TreeMap<>(), new TreeMap<>());

    public HostObservation {
        guests = List.copyOf(guests);
        oomKillsByVm = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(oomKillsByVm));
        dropPacketsByCounter = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(dropPacketsByCounter));
    }

    /** How many guests are in each state. */
    public Map<GuestState, Integer> guestsByState() {
        Map<GuestState, Integer> counts = new java.util.EnumMap<>(GuestState.class);
        for (GuestStatus guest : guests) {
            counts.merge(guest.state(), 1, Integer::sum);
        }
        return counts;
    }

    /** One guest: its VM name, group and state. */
    public record GuestStatus(String vm, String group, GuestState state) {
        public GuestStatus {
            Objects.requireNonNull(vm, "vm");
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(state, "state");
        }
    }
}
