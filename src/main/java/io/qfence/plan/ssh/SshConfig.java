package io.qfence.plan.ssh;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Renders {@link SshRoutes} as an OpenSSH client configuration ({@code ssh_config(5)}): one {@code Host} block per
 * exposed bastion (the host's address and exposed port) and one per VM behind it ({@code ProxyJump} through the
 * bastion's block, to the VM's address on port 22); every refused VM is a comment with its reason. Aliases are VM names
 * (DNS labels, unique across the desired state), so {@code ssh web-app-1} works once the file is included.
 *
 * <p>Everything written comes from validated values; what the operator passes ({@link ClientSettings}) is checked here, so
 * that no value can end a line and inject a directive (a {@code ProxyCommand} would run anything).
 */
public final class SshConfig {

    private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.:-]{0,252}");
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._/~+@-]{1,4096}");
    private static final Pattern OPTION_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9]{0,63}");
    private static final Pattern OPTION_VALUE = Pattern.compile("[\\x21-\\x7e]{1,1024}");
    /** Directives that run commands or that the blocks themselves set: not accepted as pass-through options. */
    private static final List<String> REFUSED_OPTIONS = List.of("proxycommand", "proxyjump", "localcommand", "permitlocalcommand",
            "knownhostscommand", "hostname", "port", "match", "include", "host");

    private SshConfig() {}

    /**
     * @param hostAddress how clients reach the host (an address or DNS name); empty: the host's name in the desired state
     * @param user        the account on the bastion and the VMs; empty: ssh's own default
     * @param identity    a private key file for both hops; empty: ssh's own default (an agent, ~/.ssh/id_*)
     * @param options     further {@code ssh_config} options for both hops, in order, e.g. {@code StrictHostKeyChecking}
     */
    public record ClientSettings(Optional<String> hostAddress, Optional<String> user, Optional<String> identity, Map<String, String> options) {
        public ClientSettings {
            Objects.requireNonNull(hostAddress, "hostAddress");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(identity, "identity");
            hostAddress.ifPresent(a -> require(ADDRESS, a, "host address", "a DNS name or an IP address"));
            user.ifPresent(u -> require(USER, u, "user", "a POSIX user name"));
            identity.ifPresent(i -> require(PATH, i, "identity file", "a path of letters, digits and ._/~+@-"));
            options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options));
            options.forEach((k, v) -> {
                require(OPTION_KEY, k, "ssh option name", "letters and digits");
                require(OPTION_VALUE, v, "value of ssh option " + k, "printable ASCII without spaces");
                if (REFUSED_OPTIONS.contains(k.toLowerCase(java.util.Locale.ROOT))) {
                    throw new IllegalArgumentException("ssh option " + k + " is not accepted: qfence sets the route itself");
                }
            });
        }

        public static final ClientSettings NONE = new ClientSettings(Optional.empty(), Optional.empty(), Optional.empty(), Map.of());

        private static void require(Pattern p, String value, String what, String expected) {
            if (!p.matcher(value).matches()) {
                throw new IllegalArgumentException(what + " must be " + expected + ", got '" + value.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
    }

    /** The whole file for {@code results}, headed by where it came from. */
    public static String render(String revision, List<SshRoutes.Answer> results, ClientSettings options) {
        StringBuilder out = new StringBuilder();
        out.append("# qfence ssh-config: the way in to every VM of the desired state at ").append(revision.replaceAll("\\p{Cntrl}", "?")).append(".\n");
        out.append("# Generated: include it from ~/.ssh/config and regenerate it after a change, do not edit it.\n");
        out.append("# Each VM is reached through its group's bastion (ProxyJump): the host forwards its exposed port to the\n");
        out.append("# bastion, and the group's policy lets the bastion reach port 22 of the VM.\n");
        List<String> bastionsDone = new ArrayList<>();
        for (SshRoutes.Answer r : results) {
            if (r instanceof SshRoutes.Route route) {
                if (!bastionsDone.contains(route.bastion())) {
                    bastionsDone.add(route.bastion());
                    out.append('\n').append(bastionBlock(route, options));
                }
                if (!route.direct()) {
                    out.append('\n').append(vmBlock(route, options));
                }
            }
        }
        List<SshRoutes.NoWayIn> refused = results.stream().filter(r -> r instanceof SshRoutes.NoWayIn).map(r -> (SshRoutes.NoWayIn) r).toList();
        if (!refused.isEmpty()) {
            out.append("\n# No way in:\n");
            refused.forEach(r -> out.append("#   ").append(r.vm()).append(": ").append(r.reason()).append('\n'));
        }
        return out.toString();
    }

    private static String bastionBlock(SshRoutes.Route r, ClientSettings o) {
        return "# bastion of group " + r.group() + ", exposed on host " + r.host() + " port " + r.hostPort() + "\n"
                + "Host " + r.bastion() + "\n"
                + "    HostName " + o.hostAddress().orElse(r.host()) + "\n"
                + "    Port " + r.hostPort() + "\n"
                + common(o);
    }

    private static String vmBlock(SshRoutes.Route r, ClientSettings o) {
        return "Host " + r.vm() + "\n"
                + "    HostName " + r.address() + "\n"
                + "    Port " + SshRoutes.SSH_PORT + "\n"
                + "    ProxyJump " + r.bastion() + "\n"
                + common(o);
    }

    private static String common(ClientSettings o) {
        StringBuilder b = new StringBuilder();
        o.user().ifPresent(u -> b.append("    User ").append(u).append('\n'));
        o.identity().ifPresent(i -> b.append("    IdentityFile ").append(i).append('\n').append("    IdentitiesOnly yes\n"));
        o.options().forEach((k, v) -> b.append("    ").append(k).append(' ').append(v).append('\n'));
        return b.toString();
    }
}
