package io.qfence.host;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.HostFacts;
import java.util.List;

/** What realization needs to know about the host, and what observation reports around qfence's objects. */
public interface HostFactsPort {

    /** cgroup version and detected capabilities (link kinds, br_netfilter, nft families, I/O weights, AppArmor). */
    HostFacts facts() throws HostPortException;

    /** Network namespaces with qfence's {@code qf} prefix in the host's netns directory, sorted. */
    List<String> namespaces() throws HostPortException;
}
