package io.qfence.model.host;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a guest's serial console says about its boot: whether cloud-init has finished configuring it. Read from what
 * the guest printed, so it is the guest's own claim: a guest can lie about being ready, but only about itself, and
 * nothing the guest prints can make qfence do more than report it (and end an {@code apply --wait-ready}).
 */
public sealed interface BootStatus {

    /** An instance id as cloud-init prints it: bounded, and only characters that are safe on a terminal. */
    Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    /** Printed by {@code state}: {@code ready}, {@code booting}, {@code unknown}, {@code ready (other instance)}. */
    String label();

    /** No console log to read: the guest is not running, or this host port cannot tell (a fake, a probe guest's log). */
    record Unknown(String why) implements BootStatus {
        public Unknown {
            Objects.requireNonNull(why, "why");
        }

        @Override
        public String label() {
            return "unknown";
        }
    }

    /** The console has output but no readiness line (yet). */
    record Booting() implements BootStatus {
        @Override
        public String label() {
            return "booting";
        }
    }

    /** cloud-init finished, for {@code instanceId}, {@code bootSeconds} after the guest's kernel started. */
    record Ready(String instanceId, BigDecimal bootSeconds) implements BootStatus {
        public Ready {
            if (instanceId == null || !INSTANCE_ID.matcher(instanceId).matches()) {
                throw new IllegalArgumentException("instance id must match " + INSTANCE_ID.pattern() + ", got " + instanceId);
            }
            if (bootSeconds == null || bootSeconds.signum() < 0) {
                throw new IllegalArgumentException("boot seconds must be a non-negative number, got " + bootSeconds);
            }
        }

        @Override
        public String label() {
            return "ready";
        }
    }

    /**
     * A readiness line for another instance id than the one expected: cloud-init finished for a configuration that is
     * not the desired one (the seed changed and the guest has not restarted since, or the guest forged it).
     */
    record OtherInstance(String instanceId, String expected) implements BootStatus {
        public OtherInstance {
            if (instanceId == null || !INSTANCE_ID.matcher(instanceId).matches()) {
                throw new IllegalArgumentException("instance id must match " + INSTANCE_ID.pattern() + ", got " + instanceId);
            }
            Objects.requireNonNull(expected, "expected");
        }

        @Override
        public String label() {
            return "ready (other instance " + instanceId + ")";
        }
    }
}
