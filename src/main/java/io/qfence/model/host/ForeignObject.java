package io.qfence.model.host;

import java.util.Objects;

/**
 * Something on the host that looks like qfence's but is not (e.g. a {@code qf}-prefixed link without qfence's alias,
 * or a rule in qfence's table that qfence did not write is drift, not foreign). Reported as a warning; never touched.
 */
public record ForeignObject(String kind, String name, String reason) {

    public ForeignObject {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(reason, "reason");
    }
}
