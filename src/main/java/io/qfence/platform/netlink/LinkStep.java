package io.qfence.platform.netlink;

import io.qfence.model.host.Capability;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One request of a {@link LinkBatch}, waiting for the indexes of the links it names ({@code names}, resolved in
 * order into the array {@code build} receives).
 */
record LinkStep(String operation, List<String> names, Function<int[], NetlinkRequest> build, Optional<Capability> needs) {}
