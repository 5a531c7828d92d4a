package io.qfence.model;

import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Characters that must never reach a terminal raw, nor the kernel, a file name, an interface name or a command line
 * from the desired state: the C0 and C1 controls (NUL, ESC, CR, LF, TAB, DEL, ...) and the invisible Unicode
 * characters that change how a line is laid out (bidirectional overrides such as U+202E, zero-width characters, the
 * line and paragraph separators).
 *
 * <p>Why both: an ESC or CR in a printed name can erase the line it is on and write another one in its place
 * ({@code valid: ...}), and a U+202E can make a line read backwards; a NUL is where C cuts a string, so the kernel,
 * QEMU and the file system would each see a different value than the one reviewed in Git.
 */
public final class ControlCharacters {

    private ControlCharacters() {}

    /** True for a character that is escaped when printed and refused in values that reach the host. */
    public static boolean isControl(int codePoint) {
        if (Character.isISOControl(codePoint)) {
            return true;
        }
        int type = Character.getType(codePoint);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }

    /** The index (in chars) of the first such character, if any. */
    public static OptionalInt first(String s) {
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isControl(cp)) {
                return OptionalInt.of(i);
            }
            i += Character.charCount(cp);
        }
        return OptionalInt.empty();
    }

    /**
     * The text with every such character written as {@code \}{@code u001b} (or {@code \}{@code u{1d173}} above the
     * BMP). Everything else is kept as it is: a text that already spells such an escape prints as harmlessly as this one.
     */
    public static String escape(String s) {
        if (first(s).isEmpty()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (isControl(cp)) {
                b.append(cp <= 0xffff ? String.format(Locale.ROOT, "\\u%04x", cp) : String.format(Locale.ROOT, "\\u{%x}", cp));
            } else {
                b.appendCodePoint(cp);
            }
            i += Character.charCount(cp);
        }
        return b.toString();
    }

    /**
     * The character at {@code index} named for a message: {@code NUL (U+0000)}, {@code ESC (U+001B)},
     * {@code U+202E}.
     */
    public static String describe(String s, int index) {
        int cp = s.codePointAt(index);
        String code = String.format(Locale.ROOT, "U+%04X", cp);
        String name = switch (cp) {
            case 0x00 -> "NUL";
            case 0x07 -> "BEL";
            case 0x08 -> "BS";
            case 0x09 -> "TAB";
            case 0x0a -> "LF";
            case 0x0d -> "CR";
            case 0x1b -> "ESC";
            case 0x7f -> "DEL";
            default -> "";
        };
        return name.isEmpty() ? code : name + " (" + code + ")";
    }

    /**
     * The refusal of a value holding such a character, naming it and where it is (1-based, in characters), or
     * empty when the value is clean: {@code must not contain control characters; found NUL (U+0000) at character 5}.
     */
    public static Optional<String> refusal(String value) {
        OptionalInt at = first(value);
        if (at.isEmpty()) {
            return Optional.empty();
        }
        int position = value.codePointCount(0, at.getAsInt()) + 1;
        return Optional.of("must not contain control or invisible formatting characters; found "
                + describe(value, at.getAsInt()) + " at character " + position);
    }
}
