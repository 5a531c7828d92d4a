package io.qfence.realize;

import io.qfence.model.Cidr;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.Ipv6Cidr;
import java.util.Comparator;
import java.util.Objects;

/**
 * One side of a flow: who sends, or who is reached. Principals are identities, not addresses: a VM is its name and
 * group, so that renumbering a VM or re-deriving its uid never reads as a change of who may talk to whom. The
 * addresses, uids and interfaces behind a VM are in {@link IsolationPolicy#vms()}.
 *
 * <p>Sorted by kind (VMs, groups, host, internet, prefixes, outside), then by name or address.
 */
public sealed interface Principal extends Comparable<Principal> {

    /** A single VM of this host. */
    record SingleVm(String name, String group) implements Principal {
        public SingleVm {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(group, "group");
        }

        @Override
        public String toString() {
            return "vm:" + name;
        }
    }

    /**
     * Every bridged VM of a group, i.e. everything behind the group's bridge. A group's user-mode VMs have no place
     * on the bridge; flows from them are separate {@link SingleVm} flows.
     */
    record BridgedGroup(String name) implements Principal {
        public BridgedGroup {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return "group:" + name;
        }
    }

    /** The host itself: all of its addresses, and for user-mode VMs its loopback too. */
    record ThisHost() implements Principal {
        @Override
        public String toString() {
            return "host";
        }
    }

    /**
     * Any destination that is neither an address of this host nor inside a qfence network (the subnet of any group of
     * the desired state), reached through a non-qfence interface. As a source: anything arriving through a
     * non-qfence interface.
     */
    record Internet() implements Principal {
        @Override
        public String toString() {
            return "internet";
        }
    }

    /** An address block outside the qfence networks, as written in an exception (a corporate range, a resolver). */
    record Prefix(Cidr cidr) implements Principal {
        public Prefix {
            Objects.requireNonNull(cidr, "cidr");
        }

        @Override
        public String toString() {
            return cidr.toString();
        }
    }

    /** Sources outside the host allowed to reach a bastion through its exposed host port (DNAT). */
    record Outside(Cidr cidr) implements Principal {
        public Outside {
            Objects.requireNonNull(cidr, "cidr");
        }

        @Override
        public String toString() {
            return "outside:" + cidr;
        }
    }

    ThisHost HOST = new ThisHost();
    Internet INTERNET = new Internet();

    static SingleVm vm(String name, String group) {
        return new SingleVm(name, group);
    }

    static BridgedGroup group(String name) {
        return new BridgedGroup(name);
    }

    /** A single address as a prefix, e.g. for probing: {@code Principal.address("203.0.113.7")}. */
    static Prefix address(String ipv4) {
        return new Prefix(new Ipv4Cidr(Ipv4Address.parse(ipv4), 32));
    }

    static Outside outside(String cidr) {
        return new Outside(Cidr.parse(cidr));
    }

    Comparator<Principal> ORDER = Comparator.comparingInt(Principal::kindOrder).thenComparing(Principal::compareWithinKind);

    private int kindOrder() {
        if (this instanceof SingleVm) {
            return 0;
        } else if (this instanceof BridgedGroup) {
            return 1;
        } else if (this instanceof ThisHost) {
            return 2;
        } else if (this instanceof Internet) {
            return 3;
        } else if (this instanceof Prefix) {
            return 4;
        }
        return 5;
    }

    /** Names alphabetically; networks numerically (IPv4 first, then by address, then by prefix length). */
    private static int compareWithinKind(Principal a, Principal b) {
        if (a instanceof SingleVm x && b instanceof SingleVm y) {
            int c = x.name().compareTo(y.name());
            return c != 0 ? c : x.group().compareTo(y.group());
        }
        if (a instanceof BridgedGroup x && b instanceof BridgedGroup y) {
            return x.name().compareTo(y.name());
        }
        if (a instanceof Prefix x && b instanceof Prefix y) {
            return compareCidrs(x.cidr(), y.cidr());
        }
        if (a instanceof Outside x && b instanceof Outside y) {
            return compareCidrs(x.cidr(), y.cidr());
        }
        return 0;
    }

    private static int compareCidrs(Cidr a, Cidr b) {
        if (a instanceof Ipv4Cidr x && b instanceof Ipv4Cidr y) {
            int c = x.network().compareTo(y.network());
            return c != 0 ? c : Integer.compare(x.prefixLength(), y.prefixLength());
        }
        if (a instanceof Ipv6Cidr x && b instanceof Ipv6Cidr y) {
            int c = x.network().compareTo(y.network());
            return c != 0 ? c : Integer.compare(x.prefixLength(), y.prefixLength());
        }
        return a instanceof Ipv4Cidr ? -1 : 1;
    }

    @Override
    default int compareTo(Principal o) {
        return ORDER.compare(this, o);
    }
}
