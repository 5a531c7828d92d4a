package io.qfence.model.host;

import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A QEMU guest. The realization derives everything; observation fills in what it finds on the host.
 *
 * @param argv         the full QEMU command line, from the binary on
 * @param configDigest SHA-256 of {@code argv} (NUL-joined); a change means the guest must be restarted
 * @param config       the human-meaningful fields behind the digest (memory, cpus, mac, disk, network, ...), so
 *                     that a plan can say {@code config change requires restart: memory 64Mi -> 96Mi}
 * @param state        desired: RUNNING or STOPPED; observed: any {@link GuestState}
 * @param launch       files and placement
 * @param runtime      observation-only process facts; {@link GuestRuntime#NONE} in a realization
 */
public record Guest(
        String address,
        String vm,
        String group,
        long uid,
        long gid,
        List<String> argv,
        String configDigest,
        SortedMap<String, String> config,
        GuestState state,
        GuestLaunch launch,
        GuestRuntime runtime) implements HostObject {

    public Guest {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(vm, "vm");
        Objects.requireNonNull(group, "group");
        if (uid < 1000 || gid < 1000) {
            throw new IllegalArgumentException("guest " + vm + " must run unprivileged, got uid " + uid + " gid " + gid);
        }
        argv = List.copyOf(argv);
        Objects.requireNonNull(configDigest, "configDigest");
        config = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(config));
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(launch, "launch");
        Objects.requireNonNull(runtime, "runtime");
    }

    /** The same guest in another lifecycle state, e.g. what a stop leaves behind. */
    public Guest withState(GuestState newState) {
        return new Guest(address, vm, group, uid, gid, argv, configDigest, config, newState, launch, runtime);
    }

    /** The same guest with other process facts; {@link GuestRuntime#NONE} gives its comparable, runtime-free form. */
    public Guest withRuntime(GuestRuntime newRuntime) {
        return new Guest(address, vm, group, uid, gid, argv, configDigest, config, state, launch, newRuntime);
    }

    /** The planner compares the digest (restart) and the state (start/stop); config fields explain a digest change. */
    @Override
    public SortedMap<String, String> attributes() {
        SortedMap<String, String> a = new TreeMap<>();
        a.put("state", state.name().toLowerCase(java.util.Locale.ROOT));
        a.put("uid", Long.toString(uid));
        a.put("gid", Long.toString(gid));
        a.put("config_digest", configDigest);
        config.forEach((k, v) -> a.put("config." + k, v));
        return a;
    }
}
