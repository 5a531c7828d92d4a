package io.qfence.daemon.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exact request each forge's API documents for a commit status, built without touching the network:
 * <ul>
 *   <li>GitHub: {@code POST /repos/{owner}/{repo}/statuses/{sha}}, {@code Authorization: Bearer TOKEN},
 *       {@code Accept: application/vnd.github+json}, {@code X-GitHub-Api-Version: 2022-11-28}; body {@code state}
 *       (error, failure, pending, success), {@code target_url}, {@code description}, {@code context};</li>
 *   <li>GitLab: {@code POST /projects/{id}/statuses/{sha}} (a path id URL-encoded, {@code group%2Fproject}),
 *       {@code PRIVATE-TOKEN: TOKEN}; body {@code state} (pending, running, success, failed, canceled), {@code name}
 *       (GitLab's name for the context), {@code target_url}, {@code description};</li>
 *   <li>Gitea (and Forgejo): {@code POST /repos/{owner}/{repo}/statuses/{sha}}, {@code Authorization: token TOKEN};
 *       body {@code state} (pending, success, error, failure, warning), {@code target_url}, {@code description},
 *       {@code context}.</li>
 * </ul>
 * Every request is JSON ({@code Content-Type: application/json}) and names qfence as its {@code User-Agent}.
 */
public final class ForgeRequests {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String USER_AGENT = "qfence";

    private ForgeRequests() {
    }

    public static OutboundRequest commitStatus(ForgeEndpoint forge, CommitStatus status, String token) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("User-Agent", USER_AGENT);
        Map<String, String> body = new LinkedHashMap<>();
        body.put("state", forge.kind().state(status.state()));
        String path;
        switch (forge.kind()) {
            case GITHUB -> {
                path = "/repos/" + forge.repository() + "/statuses/" + status.sha();
                headers.put("Accept", "application/vnd.github+json");
                headers.put("Authorization", "Bearer " + token);
                headers.put("X-GitHub-Api-Version", "2022-11-28");
                body.put("context", status.context());
            }
            case GITLAB -> {
                path = "/projects/" + URLEncoder.encode(forge.repository(), StandardCharsets.UTF_8) + "/statuses/"
                        + status.sha();
                headers.put("Accept", "application/json");
                headers.put("PRIVATE-TOKEN", token);
                body.put("name", status.context());
            }
            case GITEA -> {
                path = "/repos/" + forge.repository() + "/statuses/" + status.sha();
                headers.put("Accept", "application/json");
                headers.put("Authorization", "token " + token);
                body.put("context", status.context());
            }
            default -> throw new IllegalStateException("unknown forge " + forge.kind());
        }
        body.put("description", status.description());
        forge.targetUrl().ifPresent(url -> body.put("target_url", url.toString()));
        return OutboundRequest.post(URI.create(forge.root() + path), headers, json(body));
    }

    static String json(Map<String, ?> body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always serializes", e);
        }
    }
}
