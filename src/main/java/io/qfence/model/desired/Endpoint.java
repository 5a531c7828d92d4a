package io.qfence.model.desired;

import io.qfence.model.Cidr;
import java.util.Objects;

/**
 * One side of a firewall exception, as written in {@code from:} or {@code to:}: a VM by name, a whole group
 * ({@code group:NAME}), a CIDR, the host itself ({@code host}), or anything outside ({@code internet}).
 */
public sealed interface Endpoint {

    /** A single VM, named by its globally unique name. */
    record VmRef(String vm) implements Endpoint {
        public VmRef {
            Names.requireDnsLabel("vm", vm);
        }

        @Override
        public String toString() {
            return vm;
        }
    }

    /** Every VM of a group. */
    record GroupRef(String group) implements Endpoint {
        public GroupRef {
            Names.requireDnsLabel("group", group);
        }

        @Override
        public String toString() {
            return "group:" + group;
        }
    }

    /** Addresses outside the qfence networks, such as a corporate range. */
    record CidrRef(Cidr cidr) implements Endpoint {
        public CidrRef {
            Objects.requireNonNull(cidr, "cidr");
        }

        @Override
        public String toString() {
            return cidr.toString();
        }
    }

    /** The host that runs the VMs: its own addresses and ports (and, for user-mode VMs, its loopback). */
    record HostRef() implements Endpoint {
        @Override
        public String toString() {
            return "host";
        }
    }

    /** Any destination outside the host and outside every qfence group. */
    record InternetRef() implements Endpoint {
        @Override
        public String toString() {
            return "internet";
        }
    }

    HostRef HOST = new HostRef();
    InternetRef INTERNET = new InternetRef();

    /** Parses the YAML spelling: {@code host}, {@code internet}, {@code group:NAME}, a CIDR, or a VM name. */
    static Endpoint parse(String text) {
        if (text.equals("host")) {
            return HOST;
        }
        if (text.equals("internet")) {
            return INTERNET;
        }
        if (text.startsWith("group:")) {
            return new GroupRef(text.substring("group:".length()));
        }
        if (text.contains("/")) {
            return new CidrRef(Cidr.parse(text));
        }
        return new VmRef(text);
    }
}
