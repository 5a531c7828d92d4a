package io.qfence.host;

import io.qfence.model.errors.HostPortException;
import io.qfence.model.host.Link;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The links of the network namespace qfence manages. A link is qfence's when its name starts with {@code qf} and its
 * alias is {@code qfence:<address>} (DESIGN.md §5), or when it has a temporary name ({@code InterfaceNames.isTemporary})
 * that only an interrupted apply can have left behind.
 *
 * <p>Every change re-checks ownership first: a link that is not qfence's is never changed or deleted, whatever the
 * plan says.
 */
public interface LinkPort {

    /**
     * qfence's links, each addressed by its alias; leftovers under temporary names at {@code Addresses.leftoverLink};
     * {@code qf}-named links without qfence's alias as foreign look-alikes. Two links may claim the same address (an
     * interrupted replacement); deciding which one stays is the observer's job.
     */
    LinkObservation observe() throws HostPortException;

    /** qfence's link of that kernel name as {@link #observe()} would report it; empty when absent or not qfence's. */
    Optional<Link> find(String name) throws HostPortException;

    /**
     * Creates the link crash-safely: under a temporary name and down, then its final name and alias in one request,
     * then everything else (master, port flags, MTU, addresses, up). Fails if the name is taken.
     */
    void create(Link link) throws HostPortException;

    /**
     * Creates many links as {@link #create} does each (masters before their ports in {@code links}' order), sending
     * many requests per kernel round trip where the adapter can. Every link is attempted, whatever happened to the
     * others. Returns one outcome per link, in order: empty when it was created and configured, else why not (the
     * exception names the link and, from the kernel, carries the errno). A link that failed half-way is left under a
     * temporary name or with its final name and alias, both of which the next observation reports truthfully.
     */
    default List<Optional<HostPortException>> createAll(List<Link> links) throws HostPortException {
        List<Optional<HostPortException>> outcomes = new ArrayList<>(links.size());
        for (Link l : links) {
            try {
                create(l);
                outcomes.add(Optional.empty());
            } catch (HostPortException e) {
                outcomes.add(Optional.of(e));
            }
        }
        return outcomes;
    }

    /** Changes a link of qfence's from {@code before} to {@code after} in place (same name, kind and owner). */
    void update(Link before, Link after) throws HostPortException;

    /** Deletes a link of qfence's; refuses one that is not (anymore). */
    void delete(Link link) throws HostPortException;

    /** Deletes many links of qfence's as one kernel transaction where the kernel allows it; all are checked first. */
    default void deleteAll(List<Link> links) throws HostPortException {
        links.forEach(this::delete);
    }
}
