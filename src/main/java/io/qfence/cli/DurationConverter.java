package io.qfence.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Durations as people write them on a command line: {@code 60s}, {@code 5m}, {@code 1h30m}, {@code 500ms}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    private static final Pattern WHOLE = Pattern.compile("(\\d+(ms|s|m|h))+");
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        String text = value.strip();
        if (!WHOLE.matcher(text).matches()) {
            throw new CommandLine.TypeConversionException("'" + value
                    + "' is not a duration: write e.g. 60s, 5m, 1h30m or 500ms");
        }
        Duration total = Duration.ZERO;
        Matcher part = PART.matcher(text);
        while (part.find()) {
            long n = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
        }
        if (total.isZero()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is zero: a duration here must be positive");
        }
        return total;
    }
}
