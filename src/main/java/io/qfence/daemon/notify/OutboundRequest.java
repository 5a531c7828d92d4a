package io.qfence.daemon.notify;

import java.net.URI;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One HTTP request the daemon sends out (a commit status, a notification), as a value: what is sent is decided by pure
 * code and tested as such; {@link HttpPoster} sends it. {@link #toString()} never shows the headers (a token).
 */
public record OutboundRequest(String method, URI uri, SortedMap<String, String> headers, String body) {

    public OutboundRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        headers = Collections.unmodifiableSortedMap(new TreeMap<>(headers));
        Objects.requireNonNull(body, "body");
    }

    static OutboundRequest post(URI uri, Map<String, String> headers, String body) {
        return new OutboundRequest("POST", uri, new TreeMap<>(headers), body);
    }

    @Override
    public String toString() {
        return method + " " + uri;
    }
}
