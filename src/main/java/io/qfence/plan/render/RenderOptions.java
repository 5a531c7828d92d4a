package io.qfence.plan.render;

/**
 * How to render a plan. The caller decides (e.g. colour only when writing to a terminal): renderers never look at
 * the environment.
 *
 * @param colour    ANSI colours in text output
 * @param maxLength the longest Markdown output, in characters (GitHub refuses comments over 65,536)
 */
public record RenderOptions(boolean colour, int maxLength) {

    public static final int MARKDOWN_LIMIT = 60_000;
    public static final RenderOptions PLAIN = new RenderOptions(false, MARKDOWN_LIMIT);
    public static final RenderOptions COLOUR = new RenderOptions(true, MARKDOWN_LIMIT);

    public RenderOptions {
        if (maxLength < 1000) {
            throw new IllegalArgumentException("maxLength must be at least 1000 characters, got " + maxLength);
        }
    }

    public RenderOptions withMaxLength(int length) {
        return new RenderOptions(colour, length);
    }
}
