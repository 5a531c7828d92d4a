package io.qfence.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes, written in the Kubernetes style: a plain integer, or an integer with a binary suffix
 * ({@code Ki}, {@code Mi}, {@code Gi}, {@code Ti}). Decimal suffixes are refused on purpose: memory limits in
 * mixed units are a classic source of off-by-4.8% mistakes.
 */
public record ByteSize(long bytes) implements Comparable<ByteSize> {

    private static final Pattern SYNTAX = Pattern.compile("([0-9]{1,19})(Ki|Mi|Gi|Ti)?");
    public static final long KI = 1024L;
    public static final long MI = KI * 1024;
    public static final long GI = MI * 1024;
    public static final long TI = GI * 1024;

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size cannot be negative: " + bytes);
        }
    }

    public static ByteSize ofMebibytes(long mib) {
        return new ByteSize(Math.multiplyExact(mib, MI));
    }

    /** Parses {@code 512Mi}, {@code 2Gi} or {@code 1048576}. */
    public static ByteSize parse(String text) {
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "invalid size '" + text + "': expected an integer with an optional Ki, Mi, Gi or Ti suffix, e.g. 512Mi");
        }
        long unit = switch (m.group(2) == null ? "" : m.group(2)) {
            case "Ki" -> KI;
            case "Mi" -> MI;
            case "Gi" -> GI;
            case "Ti" -> TI;
            default -> 1;
        };
        try {
            return new ByteSize(Math.multiplyExact(Long.parseLong(m.group(1)), unit));
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
    }

    public ByteSize plus(ByteSize other) {
        return new ByteSize(Math.addExact(bytes, other.bytes));
    }

    public long mebibytes() {
        return bytes / MI;
    }

    @Override
    public int compareTo(ByteSize o) {
        return Long.compare(bytes, o.bytes);
    }

    /** The shortest exact form: {@code 96Mi}, {@code 2Gi}, or plain bytes. */
    @Override
    public String toString() {
        for (var unit : new Object[][] {{TI, "Ti"}, {GI, "Gi"}, {MI, "Mi"}, {KI, "Ki"}}) {
            long u = (Long) unit[0];
            if (bytes != 0 && bytes % u == 0) {
                return (bytes / u) + (String) unit[1];
            }
        }
        return Long.toString(bytes);
    }
}
