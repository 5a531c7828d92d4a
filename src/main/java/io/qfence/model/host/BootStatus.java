package io.qfence.model.host;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a guest's serial console says about its boot: whether cloud-init has finished configuring it. Read from what
 * the guest printed, so it is the guest's own claim: a guest can lie about being ready, but only about itself, and
 * nothing the guest prints can make qfence do more than report it (and end an {@code apply --wait-ready}).
 */
public sealed interface BootStatus {

    /** An instance id as cloud-init prints it: bounded, and only characters that are safe on a terminal. */
    Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    /** Printed by {@code state}: {@code ready}, {@code booting}, {@code unknown}, {@code ready for instance X, not the seed's Y}. */
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

    /**
     * cloud-init finished, {@code bootSeconds} after the guest's kernel started (when the line says); {@code instanceId}
     * when the readiness line named it (a seed's user-data can; the image's default line cannot, as cloud-init 22.4
     * does not substitute it).
     */
    record Finished(Optional<String> instanceId, Optional<BigDecimal> bootSeconds) implements BootStatus {
        public Finished {
            Objects.requireNonNull(instanceId, "instanceId");
            instanceId.ifPresent(BootStatus::requireInstanceId);
            Objects.requireNonNull(bootSeconds, "bootSeconds");
            bootSeconds.ifPresent(b -> {
                if (b.signum() < 0) {
                    throw new IllegalArgumentException("boot seconds must be a non-negative number, got " + b);
                }
            });
        }

        public Finished(Optional<String> instanceId, BigDecimal bootSeconds) {
            this(instanceId, Optional.of(bootSeconds));
        }

        @Override
        public String label() {
            return "ready";
        }
    }

    /**
     * cloud-init finished, but its readiness line names another instance id than the seed qfence gave the guest, or
     * none: it finished for a configuration that is not the desired one (the seed changed and the guest has not
     * restarted since, or the guest forged it).
     */
    record OtherInstance(Optional<String> instanceId, String expected) implements BootStatus {
        public OtherInstance {
            Objects.requireNonNull(instanceId, "instanceId");
            instanceId.ifPresent(BootStatus::requireInstanceId);
            requireInstanceId(expected);
        }

        @Override
        public String label() {
            return "ready for " + instanceId.map(i -> "instance " + i).orElse("an unnamed instance") + ", not the seed's " + expected;
        }
    }

    private static void requireInstanceId(String id) {
        if (id == null || !INSTANCE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("instance id must match " + INSTANCE_ID.pattern() + ", got " + id);
        }
    }
}
