package io.qfence.realize;

import io.qfence.model.Diagnostic;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The desired state cannot be realized on this host: a required capability is missing (AppArmor, 802.1Q, bridge
 * netfilter), or the state contradicts itself in a way validation did not catch. Carries every error found, not just
 * the first, so an operator fixes them in one round.
 */
public final class RealizationException extends RuntimeException {

    private final List<Diagnostic> errors;

    public RealizationException(List<Diagnostic> errors) {
        super(errors.stream().sorted().map(Diagnostic::toString).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a realization failure needs at least one error");
        }
        this.errors = errors.stream().sorted().toList();
    }

    public List<Diagnostic> errors() {
        return errors;
    }
}
