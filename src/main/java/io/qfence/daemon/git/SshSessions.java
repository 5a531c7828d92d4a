package io.qfence.daemon.git;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.SyspropsMapWrapper;
import org.apache.sshd.core.CoreModuleProperties;
import org.eclipse.jgit.transport.SshConfigStore;
import org.eclipse.jgit.transport.SshConstants;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;

/**
 * Builds JGit's Apache MINA sshd session factory for one {@link RemoteSpec.Ssh}, closed to everything but the two
 * files the operator named. A daemon running as root must not pick up root's {@code ~/.ssh} (its keys, config or
 * known hosts) or an agent that happens to be reachable: what authenticates qfence, and which host it trusts, is
 * configuration.
 */
final class SshSessions {

    private SshSessions() {}

    /**
     * @param emptyHome a directory qfence owns and keeps empty; JGit resolves {@code ~} and {@code ~/.ssh} there,
     *                  so no default file can be found
     */
    static SshdSessionFactory factory(RemoteSpec.Ssh remote, Path emptyHome) {
        File home = emptyHome.toFile();
        SshConfigStore.HostConfig config = new FixedHostConfig(Map.of(
                SshConstants.STRICT_HOST_KEY_CHECKING, "yes",
                SshConstants.BATCH_MODE, "yes",
                SshConstants.IDENTITIES_ONLY, "yes",
                SshConstants.IDENTITY_AGENT, "none",
                SshConstants.PREFERRED_AUTHENTICATIONS, "publickey",
                SshConstants.HASH_KNOWN_HOSTS, "no"), Map.of(
                SshConstants.IDENTITY_FILE, List.of(remote.privateKey().toString()),
                SshConstants.USER_KNOWN_HOSTS_FILE, List.of(remote.knownHosts().toString()),
                SshConstants.GLOBAL_KNOWN_HOSTS_FILE, List.of("none")));
        SshConfigStore store = new SshConfigStore() {
            @Override
            public HostConfig lookup(String hostName, int port, String userName) {
                return config;
            }

            @Override
            public HostConfig lookupDefault(String hostName, int port, String userName) {
                return config;
            }
        };
        return new SshdSessionFactoryBuilder()
                .setHomeDirectory(home)
                .setSshDirectory(home)
                .setConfigStoreFactory((homeDir, configFile, localUser) -> store)
                .setDefaultIdentities(sshDir -> List.of(remote.privateKey()))
                .setDefaultKnownHostsFiles(sshDir -> List.of(remote.knownHosts()))
                .setPreferredAuthentications("publickey")
                .setConnectorFactory(null)
                .build(null);
    }

    /**
     * Bounds the SSH handshake and authentication by {@code timeout}. JGit gives the session's connect the transport
     * timeout, but then waits for authentication for MINA's {@code auth-timeout} (two minutes by default), and JGit
     * creates the MINA client itself, so the only place to set it is the system-property layer that MINA consults
     * last. qfence is the only SSH client in its process and fetches one remote; a remote that accepts connections
     * and never speaks would otherwise hold a fetch for two minutes whatever the configured timeout.
     */
    static void boundHandshake(java.time.Duration timeout) {
        System.setProperty(SyspropsMapWrapper.SYSPROPS_MAPPED_PREFIX + "." + CoreModuleProperties.AUTH_TIMEOUT.getName(),
                Long.toString(Math.max(1, timeout.toMillis())));
    }

    /** An ssh_config host entry that is the same for every host: the remote spec is the whole configuration. */
    private record FixedHostConfig(Map<String, String> options, Map<String, List<String>> multiValued)
            implements SshConfigStore.HostConfig {

        @Override
        public String getValue(String key) {
            String single = options.get(key);
            if (single != null) {
                return single;
            }
            List<String> values = multiValued.get(key);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        @Override
        public List<String> getValues(String key) {
            List<String> values = multiValued.get(key);
            if (values != null) {
                return values;
            }
            String single = options.get(key);
            return single == null ? List.of() : List.of(single);
        }

        @Override
        public Map<String, String> getOptions() {
            return options;
        }

        @Override
        public Map<String, List<String>> getMultiValuedOptions() {
            return multiValued;
        }
    }
}
