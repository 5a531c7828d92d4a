package io.qfence.daemon.git;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jgit.transport.URIish;

/**
 * Where the desired state lives and how to reach it. Credentials are never part of the address: a token or a key is
 * named by its file and read when a fetch needs it, so nothing that is logged or stored can leak it.
 */
public sealed interface RemoteSpec permits RemoteSpec.LocalRepository, RemoteSpec.GitDaemon, RemoteSpec.Https,
        RemoteSpec.Ssh {

    /** The address JGit fetches from. It carries no secret and may be logged. */
    String uri();

    /**
     * A directory name for this remote's cache under {@code stateDir/git}: readable (host and path, unsafe characters
     * replaced) and unique (a hash of the whole address), so two remotes never share a cache.
     */
    default String cacheName() {
        String readable = uri().replaceFirst("^[a-z]+://", "").replaceAll("[^A-Za-z0-9._-]+", "_")
                .replaceAll("^[._]+", "");
        if (readable.length() > 60) {
            readable = readable.substring(readable.length() - 60);
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(uri().getBytes(StandardCharsets.UTF_8));
            return readable + "-" + HexFormat.of().formatHex(digest, 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    /** A repository on this machine's file system (bare or not), read in-process by JGit. */
    record LocalRepository(Path path) implements RemoteSpec {
        public LocalRepository {
            path = Objects.requireNonNull(path, "path").toAbsolutePath().normalize();
        }

        @Override
        public String uri() {
            return path.toString();
        }
    }

    /** The unauthenticated {@code git://} protocol, e.g. a {@code git daemon} on a trusted network. */
    record GitDaemon(URI address) implements RemoteSpec {
        public GitDaemon {
            requireScheme(address, "git");
            requireNoUserInfo(address);
        }

        @Override
        public String uri() {
            return address.toString();
        }
    }

    /**
     * Smart HTTP over TLS. With a token file, the token is sent as the password of {@code username} (GitHub, GitLab
     * and Gitea all accept a token this way); it is read from the file at every fetch, so rotating it needs no
     * restart.
     */
    record Https(URI address, Optional<Path> tokenFile, String username) implements RemoteSpec {

        /** GitHub's documented user name for token authentication; other forges accept any name with a token. */
        public static final String DEFAULT_USERNAME = "x-access-token";

        public Https {
            requireScheme(address, "https");
            requireNoUserInfo(address);
            tokenFile = tokenFile.map(p -> p.toAbsolutePath().normalize());
            Objects.requireNonNull(username, "username");
            if (username.isBlank() || username.contains(":")) {
                throw new IllegalArgumentException("https user name must be non-empty and contain no ':', got '"
                        + username + "'");
            }
        }

        @Override
        public String uri() {
            return address.toString();
        }
    }

    /**
     * SSH with exactly one private key and one known_hosts file. Nothing else is consulted: no agent, no
     * {@code ~/.ssh/config}, no default keys; an unknown or changed host key is refused.
     *
     * @param address {@code ssh://user@host[:port]/path} or scp-like {@code user@host:path}
     */
    record Ssh(String address, Path privateKey, Path knownHosts) implements RemoteSpec {
        public Ssh {
            Objects.requireNonNull(address, "address");
            URIish parsed = parseUriish(address);
            if (parsed.getScheme() != null && !parsed.getScheme().equals("ssh")) {
                throw new IllegalArgumentException("not an ssh address: '" + address + "'");
            }
            if (parsed.getHost() == null || parsed.getHost().isEmpty()) {
                throw new IllegalArgumentException("ssh address '" + address + "' names no host");
            }
            if (parsed.getUser() == null || parsed.getUser().isEmpty()) {
                throw new IllegalArgumentException("ssh address '" + address
                        + "' names no user; write it as user@host:path or ssh://user@host/path");
            }
            if (parsed.getPass() != null) {
                throw new IllegalArgumentException("ssh address '" + parsed.setPass(null)
                        + "' contains a password; qfence authenticates over ssh with a key file only");
            }
            privateKey = Objects.requireNonNull(privateKey, "privateKey").toAbsolutePath().normalize();
            knownHosts = Objects.requireNonNull(knownHosts, "knownHosts").toAbsolutePath().normalize();
        }

        @Override
        public String uri() {
            return address;
        }

        URIish uriish() {
            return parseUriish(address);
        }
    }

    /**
     * Chooses the transport from the address, the way the command line offers it: {@code /path} or
     * {@code file:///path}, {@code git://}, {@code https://}, {@code ssh://} or {@code user@host:path}. Options that
     * the transport would ignore are refused, so a typo cannot silently drop authentication.
     */
    static RemoteSpec of(String address, Optional<Path> tokenFile, Optional<Path> sshKey, Optional<Path> knownHosts) {
        Objects.requireNonNull(address, "address");
        String lower = address.toLowerCase(Locale.ROOT);
        boolean ssh = lower.startsWith("ssh://") || (!lower.contains("://") && address.matches("[^/:@]+@[^/:]+:.*"));
        if (!ssh && (sshKey.isPresent() || knownHosts.isPresent())) {
            throw new IllegalArgumentException("an ssh key and known_hosts file apply only to ssh remotes, not to '"
                    + redacted(address) + "'");
        }
        if (!lower.startsWith("https://") && tokenFile.isPresent()) {
            throw new IllegalArgumentException("a token file applies only to https remotes, not to '"
                    + redacted(address) + "'");
        }
        if (ssh) {
            if (sshKey.isEmpty() || knownHosts.isEmpty()) {
                throw new IllegalArgumentException("the ssh remote '" + address
                        + "' needs both a private key file and a known_hosts file");
            }
            return new Ssh(address, sshKey.get(), knownHosts.get());
        }
        if (lower.startsWith("https://")) {
            URI uri = parseUri(address);
            String user = uri.getRawUserInfo();
            if (user != null && user.contains(":")) {
                throw new IllegalArgumentException("the address '" + withoutUserInfo(uri)
                        + "' contains a password; put the token in a file and name that file instead");
            }
            return new Https(withoutUserInfo(uri), tokenFile, user == null ? Https.DEFAULT_USERNAME : user);
        }
        if (lower.startsWith("http://")) {
            throw new IllegalArgumentException("plain http is refused ('" + redacted(address)
                    + "'): use https://, so that neither the token nor the desired state travel in clear text");
        }
        if (lower.startsWith("git://")) {
            return new GitDaemon(parseUri(address));
        }
        if (lower.startsWith("file://")) {
            return new LocalRepository(Path.of(parseUri(address)));
        }
        if (address.startsWith("/")) {
            return new LocalRepository(Path.of(address));
        }
        throw new IllegalArgumentException("unsupported remote '" + redacted(address)
                + "': use an absolute path, file://, git://, https://, ssh:// or user@host:path");
    }

    /** The address with any {@code user:password@} part masked, for messages about addresses we refuse. */
    private static String redacted(String address) {
        return address.replaceFirst("://[^/@]*@", "://***@");
    }

    private static void requireScheme(URI uri, String scheme) {
        Objects.requireNonNull(uri, "address");
        if (!scheme.equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("expected a " + scheme + "://host/... address, got '"
                    + redacted(uri.toString()) + "'");
        }
    }

    private static void requireNoUserInfo(URI uri) {
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("the address '" + withoutUserInfo(uri)
                    + "' must not contain credentials; name a token file instead");
        }
    }

    private static URI parseUri(String address) {
        try {
            return new URI(address);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid address: " + e.getReason(), e);
        }
    }

    private static URI withoutUserInfo(URI uri) {
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), uri.getQuery(),
                    uri.getFragment());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid address", e);
        }
    }

    private static URIish parseUriish(String address) {
        try {
            return new URIish(address);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a valid ssh address: " + e.getReason(), e);
        }
    }
}
