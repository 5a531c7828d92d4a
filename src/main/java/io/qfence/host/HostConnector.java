package io.qfence.host;

import io.qfence.model.errors.UsageException;

/**
 * Opens the ports of the live host. The composition root ({@code io.qfence.app}) supplies the real one; {@link #NONE}
 * stands in where no live host may be touched (tests of the offline commands).
 */
public interface HostConnector {

    /** Whether this process can observe and change the host it runs on (Linux, as root). */
    boolean available();

    /**
     * @throws io.qfence.model.errors.UsageException    when the target named on the command line cannot be opened
     *                                                   (no such namespace, no cgroup hierarchies there)
     * @throws io.qfence.model.errors.HostPortException when the host refused to be opened (sockets, libnftables)
     */
    HostPorts connect(HostTarget target);

    HostConnector NONE = new HostConnector() {
        @Override
        public boolean available() {
            return false;
        }

        @Override
        public HostPorts connect(HostTarget target) {
            throw new UsageException("this qfence has no access to a live host");
        }
    };
}
