package io.qfence.daemon.notify;

import java.io.IOException;

/** Sends one {@link OutboundRequest} and answers the HTTP status code (the JDK's HTTP client in production). */
@FunctionalInterface
public interface HttpPoster {

    /** @throws IOException when no answer came (connection refused, timeout) */
    int send(OutboundRequest request) throws IOException, InterruptedException;
}
