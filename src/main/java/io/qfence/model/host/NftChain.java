package io.qfence.model.host;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A chain and its rules, in order. Base chains carry a hook; regular chains (jump targets) do not. */
public record NftChain(String name, Optional<Hook> hook, List<NftRule> rules) {

    /** {@code type filter hook forward priority 0; policy drop;} */
    public record Hook(String type, String hook, int priority, String policy) {
        public Hook {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(hook, "hook");
            Objects.requireNonNull(policy, "policy");
        }
    }

    public NftChain {
        if (!name.matches("[a-z][a-z0-9_]*") || name.equals("fwd")) {
            // nft 1.0.6 treats "fwd" as a keyword and cannot name a chain with it
            throw new IllegalArgumentException("invalid chain name '" + name + "'");
        }
        Objects.requireNonNull(hook, "hook");
        rules = List.copyOf(rules);
    }
}
