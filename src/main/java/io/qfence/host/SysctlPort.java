package io.qfence.host;

import io.qfence.model.errors.HostPortException;
import java.util.Optional;

/** Kernel settings of the managed network namespace, by dotted key ({@code net.ipv4.ip_forward}). */
public interface SysctlPort {

    /** The current value, trimmed; empty when the kernel (or namespace) has no such key. */
    Optional<String> read(String key) throws HostPortException;

    /** Sets a key; fails when it does not exist (e.g. {@code net.bridge.*} without br_netfilter). */
    void write(String key, String value) throws HostPortException;
}
