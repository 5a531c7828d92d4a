package io.qfence.host;

import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Link;
import java.util.List;

/**
 * What {@link LinkPort#observe()} found.
 *
 * @param links   qfence's links (and leftovers of interrupted applies); addresses may repeat, see {@link LinkPort#observe()}
 * @param foreign {@code qf}-named links that are not qfence's: reported, never touched
 */
public record LinkObservation(List<Link> links, List<ForeignObject> foreign) {

    public LinkObservation {
        links = List.copyOf(links);
        foreign = List.copyOf(foreign);
    }
}
