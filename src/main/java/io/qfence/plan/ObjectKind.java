package io.qfence.plan;

import io.qfence.model.host.Cgroup;
import io.qfence.model.host.Firewall;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.Sysctl;

/** The kinds of {@link HostObject}, by the name plans and snapshots use for them ({@code type} / {@code kind}). */
public enum ObjectKind {
    SYSCTL("sysctl"), LINK("link"), FIREWALL("firewall"), CGROUP("cgroup"), GUEST("guest");

    private final String jsonName;

    ObjectKind(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static ObjectKind of(HostObject o) {
        if (o instanceof Sysctl) {
            return SYSCTL;
        } else if (o instanceof Link) {
            return LINK;
        } else if (o instanceof Firewall) {
            return FIREWALL;
        } else if (o instanceof Cgroup) {
            return CGROUP;
        } else if (o instanceof Guest) {
            return GUEST;
        }
        throw new IllegalArgumentException("unknown host object " + o.getClass().getName());
    }

    public static ObjectKind ofJsonName(String name) {
        for (ObjectKind k : values()) {
            if (k.jsonName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown object kind '" + name + "'");
    }
}
