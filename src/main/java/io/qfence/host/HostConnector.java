package io.qfence.host;

import io.qfence.model.errors.UsageException;

/**
 * Opens the ports of the live host. The composition root ({@code io.qfence.app}) supplies the real one; {@link #NONE}
 * stands in where no live host may be touched (tests of the offline commands).
 */
public interface HostConnector {

    /** Whether this process can observe and change the host it runs on (Linux, as root). */
    boolean available();

    /** @throws io.qfence.model.errors.QfenceException when the target cannot be opened (e.g. no such namespace) */
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
