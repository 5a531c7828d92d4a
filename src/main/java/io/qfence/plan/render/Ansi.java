package io.qfence.plan.render;

/** ANSI styles for text plans, applied only when the caller asks for colour. */
final class Ansi {

    static final String RESET = "\u001b[0m";
    static final String BOLD = "\u001b[1m";
    static final String RED = "\u001b[31m";
    static final String GREEN = "\u001b[32m";
    static final String YELLOW = "\u001b[33m";
    static final String MAGENTA = "\u001b[35m";
    static final String CYAN = "\u001b[36m";

    private final boolean enabled;

    Ansi(boolean enabled) {
        this.enabled = enabled;
    }

    String style(String style, String text) {
        return enabled && !text.isEmpty() ? style + text + RESET : text;
    }

    /** Green for what comes, red for what goes, yellow for what changes, cyan/magenta for start/stop. */
    String symbol(String symbol) {
        String s = symbol.strip();
        String style = switch (s) {
            case "+" -> GREEN;
            case "-" -> RED;
            case "~" -> YELLOW;
            case ">" -> CYAN;
            case "<" -> MAGENTA;
            default -> "";
        };
        if (!enabled) {
            return symbol;
        }
        if (s.equals("-/+") || s.equals("+/-")) {
            String lead = symbol.substring(0, symbol.indexOf(s));
            return lead + style(s.charAt(0) == '-' ? RED : GREEN, s.substring(0, 1)) + "/" + style(s.charAt(2) == '-' ? RED : GREEN, s.substring(2));
        }
        return style.isEmpty() ? symbol : symbol.replace(s, style(style, s));
    }
}
