package io.qfence.daemon.notify;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where this host's commit statuses go: the forge's kind, its API's base URL, the repository, the file holding the
 * token, and an optional link for each status.
 *
 * @param baseUrl    the API root: {@code https://api.github.com} (GitHub Enterprise: {@code https://HOST/api/v3}),
 *                   {@code https://HOST/api/v4} (GitLab), {@code https://HOST/api/v1} (Gitea, Forgejo). {@code https}
 *                   only, because the token travels with every request; {@code http} only to a loopback address
 * @param repository {@code OWNER/REPO} on GitHub and Gitea; on GitLab the project's numeric id or its path
 *                   ({@code GROUP/SUBGROUP/PROJECT})
 * @param targetUrl  the link each status carries (e.g. a dashboard of this host), if any
 */
public record ForgeEndpoint(ForgeKind kind, URI baseUrl, String repository, Path tokenFile, Optional<URI> targetUrl) {

    public static final URI GITHUB_API = URI.create("https://api.github.com");

    private static final Pattern OWNER_REPO = Pattern.compile("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");
    private static final Pattern GITLAB_PROJECT = Pattern.compile("[0-9]+|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+");

    public ForgeEndpoint {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(tokenFile, "tokenFile");
        Objects.requireNonNull(targetUrl, "targetUrl");
        requireSafeUrl("the forge URL", baseUrl);
        if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null || baseUrl.getRawUserInfo() != null) {
            throw new IllegalArgumentException("the forge URL must have no user, query or fragment: " + baseUrl);
        }
        boolean repoOk = kind == ForgeKind.GITLAB ? GITLAB_PROJECT.matcher(repository).matches()
                : OWNER_REPO.matcher(repository).matches();
        if (!repoOk) {
            throw new IllegalArgumentException("the " + kind.label() + " repository must be " + (kind == ForgeKind.GITLAB
                    ? "a project id or GROUP/PROJECT path" : "OWNER/REPO") + ", not '" + repository + "'");
        }
        targetUrl.ifPresent(url -> {
            String scheme = String.valueOf(url.getScheme()).toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http") || url.getHost() == null) {
                throw new IllegalArgumentException("the status target URL must be an http(s) URL, not '" + url + "'");
            }
        });
    }

    /** The API root without a trailing slash, for appending paths. */
    String root() {
        String text = baseUrl.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    /**
     * An address a secret may be sent to: {@code https}, or {@code http} to a loopback address (a forge or receiver on
     * this machine, or a test's stand-in), never cleartext across a network.
     */
    static void requireSafeUrl(String what, URI url) {
        String scheme = String.valueOf(url.getScheme()).toLowerCase(Locale.ROOT);
        if (url.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            throw new IllegalArgumentException(what + " must be an https:// URL, not '" + url + "'");
        }
        if (scheme.equals("http") && !isLoopback(url.getHost())) {
            throw new IllegalArgumentException(what + " must be https:// (http:// only to a loopback address): " + url);
        }
    }

    private static boolean isLoopback(String host) {
        String bare = host.replaceAll("^\\[|\\]$", "");
        if (bare.equals("localhost")) {
            return true;
        }
        if (!bare.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // a name: resolving it here would make the check depend on DNS
        }
        try {
            return InetAddress.getByName(bare).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
