package io.qfence.realize;

import io.qfence.model.Diagnostic;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything qfence owns on one host at one revision: the host objects (sorted by address), the isolation policy
 * they enforce, and the warnings met on the way (AppArmor preferred but unavailable, an exception that cannot be
 * realized here, ...; not expired exceptions, which loading the desired state reports).
 */
public record Realization(String host, String revision, HostFacts facts, List<HostObject> objects, IsolationPolicy policy,
        List<Diagnostic> warnings) {

    public Realization {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(facts, "facts");
        objects = objects.stream().sorted(Comparator.comparing(HostObject::address)).toList();
        for (int i = 1; i < objects.size(); i++) {
            if (objects.get(i).address().equals(objects.get(i - 1).address())) {
                throw new IllegalArgumentException("two host objects share the address " + objects.get(i).address());
            }
        }
        Objects.requireNonNull(policy, "policy");
        warnings = warnings.stream().distinct().sorted().toList();
    }

    /** The objects of one kind, in address order. */
    public <T extends HostObject> List<T> objects(Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    public Optional<HostObject> object(String address) {
        return objects.stream().filter(o -> o.address().equals(address)).findFirst();
    }

    /** The one firewall object; every realization has it, even for a host without groups. */
    public Firewall firewall() {
        return objects(Firewall.class).get(0);
    }
}
