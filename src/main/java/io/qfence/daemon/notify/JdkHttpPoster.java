package io.qfence.daemon.notify;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@link HttpPoster} over the JDK's HTTP client. Redirects are not followed (a token must not travel to wherever an
 * answer points), and every request is bounded: connecting by {@link #CONNECT_TIMEOUT}, the whole exchange by
 * {@link #REQUEST_TIMEOUT}, so that a silent forge holds the outbox thread for a bounded time only.
 */
public final class JdkHttpPoster implements HttpPoster {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient client;

    private JdkHttpPoster(HttpClient client) {
        this.client = client;
    }

    public static JdkHttpPoster create() {
        return new JdkHttpPoster(HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build());
    }

    @Override
    public int send(OutboundRequest request) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(request.uri()).timeout(REQUEST_TIMEOUT)
                .method(request.method(), HttpRequest.BodyPublishers.ofString(request.body()));
        request.headers().forEach(builder::header);
        return client.send(builder.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
