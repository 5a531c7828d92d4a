package io.qfence.platform.os;

import io.qfence.host.SysctlPort;
import io.qfence.model.errors.HostPortException;
import java.util.Optional;

/** {@link SysctlPort} through {@code /proc/sys}, on the managed namespace's thread (see {@link Sysctls}). */
public final class ProcSysctls implements SysctlPort {

    private final Sysctls sysctls;

    public ProcSysctls(NetNamespace namespace) {
        this.sysctls = Sysctls.in(namespace);
    }

    @Override
    public Optional<String> read(String key) {
        try {
            return sysctls.read(key);
        } catch (OsException e) {
            throw e.toPortError(HostPortException.Port.SYSCTLS, "sysctl " + key);
        }
    }

    @Override
    public void write(String key, String value) {
        try {
            sysctls.write(key, value);
        } catch (OsException e) {
            throw e.toPortError(HostPortException.Port.SYSCTLS, "sysctl " + key);
        }
    }
}
