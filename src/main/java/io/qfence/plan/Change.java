package io.qfence.plan;

import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One step of a plan: what happens to the object at {@code address}, from {@code before} (as observed, or as the
 * previous step of the same plan left it) to {@code after}.
 *
 * @param drift             true when the change only undoes something done outside qfence (see {@link Reason.Drifted});
 *                          drift is shown apart from the changes the desired state makes
 * @param forcesReplacement the attribute keys whose change makes an in-place update impossible (shown as
 *                          {@code # forces replacement}); empty unless the change is part of a replacement
 */
public record Change(
        String address,
        Action action,
        Optional<HostObject> before,
        Optional<HostObject> after,
        Reason reason,
        boolean drift,
        SortedSet<String> forcesReplacement) {

    public Change {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        Objects.requireNonNull(reason, "reason");
        forcesReplacement = Collections.unmodifiableSortedSet(new TreeSet<>(forcesReplacement));
        for (Optional<HostObject> side : List.of(before, after)) {
            side.ifPresent(o -> {
                if (!o.address().equals(address)) {
                    throw new IllegalArgumentException("change of " + address + " carries an object of " + o.address());
                }
            });
        }
        if (before.isPresent() && after.isPresent() && !ObjectKind.of(before.get()).equals(ObjectKind.of(after.get()))) {
            throw new IllegalArgumentException(address + ": before and after must be of the same kind");
        }
        boolean needsBefore = action != Action.CREATE && action != Action.START;
        boolean needsAfter = action != Action.DELETE;
        if (needsBefore != before.isPresent() && !(action == Action.START && before.isPresent())) {
            throw new IllegalArgumentException(address + ": a " + action + " change " + (needsBefore ? "needs" : "cannot have") + " a before");
        }
        if (needsAfter != after.isPresent()) {
            throw new IllegalArgumentException(address + ": a " + action + " change " + (needsAfter ? "needs" : "cannot have") + " an after");
        }
        ObjectKind kind = ObjectKind.of(before.or(() -> after).orElseThrow());
        boolean lifecycle = action == Action.START || action == Action.STOP;
        if (lifecycle && kind != ObjectKind.GUEST) {
            throw new IllegalArgumentException(address + ": only guests are started and stopped, not a " + kind.jsonName());
        }
        if (kind == ObjectKind.GUEST && !lifecycle && !action.isReplace()) {
            throw new IllegalArgumentException(address + ": a guest is started, stopped or restarted, never " + action);
        }
        if (kind == ObjectKind.GUEST && action == Action.REPLACE_CREATE_BEFORE_DELETE) {
            throw new IllegalArgumentException(address + ": a guest is restarted by stopping it first; two copies never run");
        }
        if (action == Action.START && ((Guest) after.get()).state() != GuestState.RUNNING) {
            throw new IllegalArgumentException(address + ": a start must leave the guest running");
        }
        if (action == Action.STOP && ((Guest) after.get()).state() != GuestState.STOPPED) {
            throw new IllegalArgumentException(address + ": a stop must leave the guest stopped");
        }
    }

    public Change(String address, Action action, Optional<HostObject> before, Optional<HostObject> after, Reason reason, boolean drift) {
        this(address, action, before, after, reason, drift, Collections.emptySortedSet());
    }

    public ObjectKind kind() {
        return ObjectKind.of(before.or(() -> after).orElseThrow());
    }

    /** The JSON spelling of the action, e.g. {@code ["delete","create"]}. */
    public List<String> actionNames() {
        return action.jsonNames(kind());
    }

    /** One attribute that differs between before and after. An absent side means the attribute is not set there. */
    public record AttributeChange(String key, Optional<String> before, Optional<String> after, boolean forcesReplacement) {}

    public SortedMap<String, String> beforeAttributes() {
        return before.map(HostObject::attributes).orElse(Collections.emptySortedMap());
    }

    public SortedMap<String, String> afterAttributes() {
        return after.map(HostObject::attributes).orElse(Collections.emptySortedMap());
    }

    /** The attributes that differ, by key. Equal attributes are left out: a plan shows what changes. */
    public List<AttributeChange> attributeChanges() {
        SortedMap<String, String> b = beforeAttributes();
        SortedMap<String, String> a = afterAttributes();
        TreeMap<String, Boolean> keys = new TreeMap<>();
        b.keySet().forEach(k -> keys.put(k, true));
        a.keySet().forEach(k -> keys.put(k, true));
        List<AttributeChange> out = new ArrayList<>();
        for (String k : keys.keySet()) {
            Optional<String> bv = Optional.ofNullable(b.get(k));
            Optional<String> av = Optional.ofNullable(a.get(k));
            if (!bv.equals(av)) {
                out.add(new AttributeChange(k, bv, av, forcesReplacement.contains(k)));
            }
        }
        return out;
    }

    /** How many attributes are the same before and after (a plan says how many it does not show). */
    public int unchangedAttributeCount() {
        SortedMap<String, String> b = beforeAttributes();
        SortedMap<String, String> a = afterAttributes();
        return (int) b.entrySet().stream().filter(e -> e.getValue().equals(a.get(e.getKey()))).count();
    }
}
