package io.qfence.cli;

import io.qfence.host.Scope;
import io.qfence.model.errors.UsageException;
import picocli.CommandLine.Option;

/** {@code --scope} and its shorthand {@code --no-guests}: which parts of the host a command observes, plans and applies. */
public final class ScopeOptions {

    @Option(names = "--scope", paramLabel = "PARTS",
            description = "Only these parts of the host, comma-separated: network, firewall, cgroups, guests (default: all).")
    String scope;

    @Option(names = "--no-guests", description = "Leave guests alone: the same as --scope network,firewall,cgroups.")
    boolean noGuests;

    Scope scope() {
        if (noGuests && scope != null) {
            throw new UsageException("--no-guests and --scope cannot be combined; say --scope without guests instead");
        }
        if (noGuests) {
            return Scope.WITHOUT_GUESTS;
        }
        if (scope == null) {
            return Scope.ALL;
        }
        try {
            return Scope.parse(scope);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--scope " + scope + ": " + e.getMessage());
        }
    }
}
