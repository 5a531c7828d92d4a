package io.qfence.model;

import java.math.BigDecimal;

/**
 * A CPU allowance in thousandths of a CPU, so that {@code 1.5} cpus for a group limit is exact. Maps to
 * {@code cpu.max} (v2) or {@code cpu.cfs_quota_us} (v1) against a fixed period.
 */
public record MilliCpus(int millis) implements Comparable<MilliCpus> {

    public MilliCpus {
        if (millis <= 0) {
            throw new IllegalArgumentException("a cpu allowance must be positive, got " + millis + "m");
        }
    }

    public static MilliCpus ofCpus(int cpus) {
        return new MilliCpus(Math.multiplyExact(cpus, 1000));
    }

    /** Parses {@code 2}, {@code 0.5} or {@code 1.25}; at most three decimals. */
    public static MilliCpus parse(String text) {
        BigDecimal value;
        try {
            value = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid cpu count '" + text + "'");
        }
        BigDecimal millis = value.movePointRight(3);
        if (millis.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("cpu count '" + text + "' has more than three decimals");
        }
        try {
            return new MilliCpus(millis.intValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("cpu count '" + text + "' is out of range");
        }
    }

    public MilliCpus plus(MilliCpus other) {
        return new MilliCpus(Math.addExact(millis, other.millis));
    }

    @Override
    public int compareTo(MilliCpus o) {
        return Integer.compare(millis, o.millis);
    }

    @Override
    public String toString() {
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }
}
