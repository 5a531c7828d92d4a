package io.qfence.model.errors;

import java.util.Objects;

/**
 * Changing or reading the live host failed: the kernel refused an operation, an object was not what the plan
 * expected before a change (a precondition), or was not what the change should have made after it (a
 * post-condition). The message names the object, what qfence tried, and the host's answer. An apply stops at the
 * first such failure: nothing after it runs (fail-closed), and the next plan shows the remaining work.
 */
public final class HostOperationException extends QfenceException {

    private static final long serialVersionUID = 1L;

    private final String address;

    /**
     * @param address the host object concerned (e.g. {@code group.web/bridge}), or {@code host} for the host as a whole
     */
    public HostOperationException(String address, String message) {
        super(Objects.requireNonNull(address, "address") + ": " + Objects.requireNonNull(message, "message"));
        this.address = address;
    }

    public HostOperationException(String address, String message, Throwable cause) {
        super(Objects.requireNonNull(address, "address") + ": " + Objects.requireNonNull(message, "message"), cause);
        this.address = address;
    }

    public String address() {
        return address;
    }
}
