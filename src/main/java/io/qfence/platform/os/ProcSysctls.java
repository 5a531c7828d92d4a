package io.qfence.platform.os;

import io.qfence.host.SysctlPort;
import java.util.Optional;

/** {@link SysctlPort} through {@code /proc/sys}, on the managed namespace's thread (see {@link Sysctls}). */
public final class ProcSysctls implements SysctlPort {

    private final Sysctls sysctls;

    public ProcSysctls(NetNamespace namespace) {
        this.sysctls = Sysctls.in(namespace);
    }

    @Override
    public Optional<String> read(String key) {
        return sysctls.read(key);
    }

    @Override
    public void write(String key, String value) {
        sysctls.write(key, value);
    }
}
