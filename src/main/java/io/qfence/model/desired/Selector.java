package io.qfence.model.desired;

import io.qfence.model.Cidr;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who an invariant speaks about, as written in {@code from:}, {@code to:} and {@code into:}: a VM by name, every VM
 * of a group ({@code group:NAME}), the host ({@code host}), anything outside ({@code internet}), an address block
 * (a CIDR), or every VM that carries a label ({@code label:KEY=VALUE}, a VM's own labels over its group's).
 * Selectors name the same things firewall exceptions do, plus labels, so that an invariant need not be edited every
 * time a VM is added. What a selector matches is decided by the evaluation ({@code realize.InvariantCheck}) over
 * the principals of the reachability relation, never by text.
 */
public sealed interface Selector {

    /** A label key or value: letters, digits, '.', '_', '-' and '/', 1 to 63 characters (a Kubernetes-like subset). */
    Pattern LABEL_TEXT = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?");

    /** One VM, by its globally unique name. */
    record VmSelector(String vm) implements Selector {
        public VmSelector {
            Names.requireDnsLabel("vm", vm);
        }

        @Override
        public String toString() {
            return vm;
        }
    }

    /** Every VM of a group (bridged and user-mode). */
    record GroupSelector(String group) implements Selector {
        public GroupSelector {
            Names.requireDnsLabel("group", group);
        }

        @Override
        public String toString() {
            return "group:" + group;
        }
    }

    /** The host that runs the VMs: its own addresses (and, for user-mode VMs, its loopback). */
    record HostSelector() implements Selector {
        @Override
        public String toString() {
            return "host";
        }
    }

    /**
     * Everything outside the host and the qfence networks: the internet, every prefix an exception names, and the
     * outside sources of an exposed bastion.
     */
    record InternetSelector() implements Selector {
        @Override
        public String toString() {
            return "internet";
        }
    }

    /**
     * An address block: it matches the VMs whose address lies in it, prefixes and outside sources that overlap it,
     * and the internet when the block is not inside a qfence network (the internet then reaches part of it).
     */
    record CidrSelector(Cidr cidr) implements Selector {
        public CidrSelector {
            Objects.requireNonNull(cidr, "cidr");
        }

        @Override
        public String toString() {
            return cidr.toString();
        }
    }

    /** Every VM whose labels (its own over its group's) map {@code key} to {@code value}. */
    record LabelSelector(String key, String value) implements Selector {
        public LabelSelector {
            requireLabelText("label key", key);
            requireLabelText("label value", value);
        }

        @Override
        public String toString() {
            return "label:" + key + "=" + value;
        }
    }

    HostSelector HOST = new HostSelector();
    InternetSelector INTERNET = new InternetSelector();

    /**
     * Parses the YAML spelling: {@code host}, {@code internet}, {@code group:NAME}, {@code label:KEY=VALUE}, a CIDR,
     * or a VM name.
     *
     * @throws IllegalArgumentException with a message fit for a diagnostic
     */
    static Selector parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.equals("host")) {
            return HOST;
        }
        if (text.equals("internet")) {
            return INTERNET;
        }
        if (text.startsWith("group:")) {
            return new GroupSelector(text.substring("group:".length()));
        }
        if (text.startsWith("label:")) {
            String kv = text.substring("label:".length());
            int eq = kv.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("invalid selector '" + text + "': a label selector is label:KEY=VALUE");
            }
            return new LabelSelector(kv.substring(0, eq), kv.substring(eq + 1));
        }
        if (text.contains("/")) {
            return new CidrSelector(Cidr.parse(text));
        }
        return new VmSelector(text);
    }

    static String requireLabelText(String what, String text) {
        if (text == null || !LABEL_TEXT.matcher(text).matches()) {
            throw new IllegalArgumentException("invalid " + what + " '" + text
                    + "': use letters, digits, '.', '_', '-' and '/', start and end with a letter or digit, at most 63 characters");
        }
        return text;
    }
}
