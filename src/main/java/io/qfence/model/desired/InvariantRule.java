package io.qfence.model.desired;

import java.util.List;
import java.util.Objects;

/**
 * The statement of an invariant over the reachability relation, in a closed vocabulary of four kinds. "Reachable"
 * means what the relation means: the source may open connections (or send datagrams) to the destination; replies
 * are implied and never count as flows of their own.
 */
public sealed interface InvariantRule {

    /** The YAML key of the kind: {@code deny}, {@code only}, {@code require}, {@code limit}. */
    String kind();

    /** No flow from {@code from} to {@code to} of {@code traffic} is ever reachable. */
    record Deny(Selector from, Selector to, Traffic traffic) implements InvariantRule {
        public Deny {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(traffic, "traffic");
        }

        @Override
        public String kind() {
            return "deny";
        }

        @Override
        public String toString() {
            return "deny from " + from + " to " + to + " " + traffic;
        }
    }

    /**
     * Traffic into {@code into} from outside it comes only from one of {@code from}, and only as {@code traffic}:
     * every other flow into it is a violation. Flows among the members of {@code into} do not enter it.
     */
    record Only(Selector into, List<Selector> from, Traffic traffic) implements InvariantRule {
        public Only {
            Objects.requireNonNull(into, "into");
            from = List.copyOf(from);
            if (from.isEmpty()) {
                throw new IllegalArgumentException("only: name at least one source in from (use deny to close a selector entirely)");
            }
            Objects.requireNonNull(traffic, "traffic");
        }

        @Override
        public String kind() {
            return "only";
        }

        @Override
        public String toString() {
            return "only into " + into + " from " + from.stream().map(Selector::toString).toList() + " " + traffic;
        }
    }

    /**
     * Every source {@code from} selects reaches every destination {@code to} selects with {@code traffic} (a service
     * that must keep working). The protocol is required; TCP and UDP need ports.
     */
    record Require(Selector from, Selector to, Traffic traffic) implements InvariantRule {
        public Require {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(traffic, "traffic");
            if (traffic.protocol().isEmpty()) {
                throw new IllegalArgumentException("require: name the protocol that must work (tcp, udp or icmp)");
            }
            if (traffic.protocol().get().hasPorts() && traffic.ports().isEmpty()) {
                throw new IllegalArgumentException("require: name the " + traffic.protocol().get().keyword() + " ports that must work");
            }
        }

        @Override
        public String kind() {
            return "require";
        }

        @Override
        public String toString() {
            return "require from " + from + " to " + to + " " + traffic;
        }
    }

    /**
     * At most {@code max} entries of the reachability relation lead into {@code into} from outside the destination's
     * own group (the host, the internet, prefixes and outside sources are outside every group). An entry is one
     * (source, destination, protocol) with its merged ports.
     */
    record Limit(Selector into, int max) implements InvariantRule {
        public Limit {
            Objects.requireNonNull(into, "into");
            if (max < 0) {
                throw new IllegalArgumentException("limit: max must be 0 or more, got " + max);
            }
        }

        @Override
        public String kind() {
            return "limit";
        }

        @Override
        public String toString() {
            return "limit into " + into + " at most " + max;
        }
    }
}
