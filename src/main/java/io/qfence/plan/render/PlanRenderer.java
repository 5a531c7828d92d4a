package io.qfence.plan.render;

import io.qfence.plan.Plan;

/** Turns a plan into text for people or programs. Pure: the caller writes the result where it wants. */
public interface PlanRenderer {

    String render(Plan plan, RenderOptions options);

    /** The renderer for {@code --format text|json|markdown}. */
    static PlanRenderer forFormat(String format) {
        return switch (format) {
            case "text" -> new TextRenderer();
            case "json" -> new JsonRenderer();
            case "markdown" -> new MarkdownRenderer();
            default -> throw new IllegalArgumentException("unknown format '" + format + "': expected text, json or markdown");
        };
    }
}
