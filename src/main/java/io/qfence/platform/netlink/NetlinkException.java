package io.qfence.platform.netlink;

import io.qfence.model.errors.HostPortException;
import java.util.Optional;
import java.util.OptionalInt;
import jnr.constants.platform.Errno;

/**
 * The kernel refused a netlink request ({@code NLMSG_ERROR} with a negative error): which operation, the errno, and
 * the kernel's extended ACK message when it gave one (e.g. "Unknown device type"). Callers branch on
 * {@link #errno()}, never on the text.
 */
class NetlinkException extends RuntimeException {

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ERANGE = 34;
    public static final int EOPNOTSUPP = 95;
    public static final int EADDRNOTAVAIL = 99;

    private final String operation;
    private final int errno;
    private final Optional<String> kernelMessage;
    private final OptionalInt attributeOffset;

    public NetlinkException(String operation, int errno, Optional<String> kernelMessage, OptionalInt attributeOffset) {
        super(format(operation, errno, kernelMessage));
        this.operation = operation;
        this.errno = errno;
        this.kernelMessage = kernelMessage;
        this.attributeOffset = attributeOffset;
    }

    /** For subclasses that say more than the kernel did (e.g. which kernel option is missing). */
    protected NetlinkException(String message, String operation, int errno, Optional<String> kernelMessage) {
        super(message);
        this.operation = operation;
        this.errno = errno;
        this.kernelMessage = kernelMessage;
        this.attributeOffset = OptionalInt.empty();
    }

    static String format(String operation, int errno, Optional<String> kernelMessage) {
        return operation + ": " + describe(errno) + kernelMessage.map(m -> "; kernel says: " + m).orElse("");
    }

    /** e.g. {@code File exists (EEXIST, errno 17)}. */
    static String describe(int errno) {
        Errno e = Errno.valueOf(errno);
        if (e == null || !e.defined() || e.name().startsWith("__")) {
            return "errno " + errno;
        }
        return e.description() + " (" + e.name() + ", errno " + errno + ")";
    }

    /**
     * This failure in the ports' vocabulary ({@link io.qfence.host.LinkPort} translates at its edge): the errno with
     * what the kernel (or qfence, for a missing capability) said about it.
     */
    HostPortException toPortError(HostPortException.Port port, String object) {
        String said = getMessage().startsWith(operation + ": ") ? getMessage().substring(operation.length() + 2) : getMessage();
        HostPortException.FailureReason reason = errno > 0 ? new HostPortException.Errno(errno, said) : new HostPortException.Refusal(said);
        return new HostPortException(port, operation, object, reason, this);
    }

    /** What qfence was doing, e.g. {@code create bridge qfb-web}. */
    public String operation() {
        return operation;
    }

    public int errno() {
        return errno;
    }

    /** The symbolic name, e.g. {@code EEXIST}, or {@code errno N} for an unknown one. */
    public String errnoName() {
        Errno e = Errno.valueOf(errno);
        return e == null || !e.defined() ? "errno " + errno : e.name();
    }

    /** The kernel's extended ACK text ({@code NLMSGERR_ATTR_MSG}), when it sent one. */
    public Optional<String> kernelMessage() {
        return kernelMessage;
    }

    /** Where in the request the offending attribute starts ({@code NLMSGERR_ATTR_OFFS}), when the kernel said. */
    public OptionalInt attributeOffset() {
        return attributeOffset;
    }
}
