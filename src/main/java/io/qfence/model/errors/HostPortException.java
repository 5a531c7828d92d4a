package io.qfence.model.errors;

import java.util.Locale;
import java.util.Objects;

/**
 * A port of the host ({@code io.qfence.host}) could not observe or change what it was asked to: the one failure every
 * port declares, in the model's words, whichever adapter is behind it. Adapters translate their own failures (a
 * netlink error reply, libnftables' error buffer, a failed system call, a QEMU monitor's answer) into it at their
 * edge, so that nothing above the ports depends on how an adapter talks to the kernel.
 *
 * <p>It says which port ({@link #port()}), what was tried ({@link #operation()}, e.g. {@code create bridge qfb-web}),
 * on which object ({@link #object()}, e.g. {@code link qfb-web}, {@code nft table inet qfence},
 * {@code cgroup qfence/web}, {@code vm web-01}), and why ({@link #reason()}): the kernel's errno, or the words of the
 * component that refused when it gives no errno. The adapter's own exception, when there is one, is the
 * {@link #getCause() cause}, for logs; nothing branches on it.
 */
public final class HostPortException extends QfenceException {

    private static final long serialVersionUID = 1L;

    /** The port that failed, as {@code io.qfence.host.HostPorts} names them, plus connecting to the host itself. */
    public enum Port {
        /** Opening the host (its network namespace, sockets, cgroup hierarchies) and detecting its facts. */
        HOST,
        LINKS,
        SYSCTLS,
        FIREWALL,
        CGROUPS,
        GUESTS;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why an operation failed: a closed set. */
    public sealed interface FailureReason permits Errno, Refusal {

        /** For the message: {@code File exists (EEXIST, errno 17)}, or the refusal's words. */
        String text();
    }

    /**
     * The kernel refused with an errno.
     *
     * @param number the errno (positive), e.g. 17
     * @param text   its description as the adapter has it, e.g. {@code File exists (EEXIST, errno 17)}, with what
     *               else the kernel said (a netlink extended ACK)
     */
    public record Errno(int number, String text) implements FailureReason {
        public Errno {
            if (number <= 0) {
                throw new IllegalArgumentException("an errno is positive, got " + number);
            }
            requireText(text);
        }
    }

    /**
     * The operation failed without an errno: libnftables' message, a QEMU monitor's answer, a check of qfence's own
     * that did not hold (a guest's seccomp mode, a missing controller), a timeout, a file-system failure.
     */
    public record Refusal(String text) implements FailureReason {
        public Refusal {
            requireText(text);
        }
    }

    private final Port port;
    private final String operation;
    private final String object;
    private final FailureReason reason;

    public HostPortException(Port port, String operation, String object, FailureReason reason) {
        this(port, operation, object, reason, null);
    }

    /** @param cause the adapter's own failure, kept for logs only; may be null */
    public HostPortException(Port port, String operation, String object, FailureReason reason, Throwable cause) {
        super(message(port, operation, object, reason), cause);
        this.port = port;
        this.operation = operation;
        this.object = object;
        this.reason = reason;
    }

    private static String message(Port port, String operation, String object, FailureReason reason) {
        Objects.requireNonNull(port, "port");
        requireText(operation);
        requireText(object);
        Objects.requireNonNull(reason, "reason");
        return object + ": " + operation + ": " + reason.text();
    }

    private static void requireText(String s) {
        if (Objects.requireNonNull(s, "text").isBlank()) {
            throw new IllegalArgumentException("a host port failure names its operation, object and reason; got a blank one");
        }
    }

    public Port port() {
        return port;
    }

    /** What was tried, e.g. {@code create bridge qfb-web}, {@code list ruleset}, {@code start}. */
    public String operation() {
        return operation;
    }

    /** The object concerned, e.g. {@code link qfb-web}, {@code nft table inet qfence}, {@code cgroup qfence/web}. */
    public String object() {
        return object;
    }

    public FailureReason reason() {
        return reason;
    }
}
