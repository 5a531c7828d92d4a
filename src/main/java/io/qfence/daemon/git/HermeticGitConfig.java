package io.qfence.daemon.git;

import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * Makes JGit ignore root's {@code ~/.gitconfig}, the XDG user config, {@code /etc/gitconfig} and JGit's own config
 * file, for the whole process. The daemon runs as root: a setting someone left in root's Git configuration (a URL
 * rewrite with {@code url.*.insteadOf}, an {@code http.sslVerify false}, a proxy) must not silently change where the
 * desired state comes from or how it is checked. What qfence needs is set explicitly per repository.
 */
public final class HermeticGitConfig {

    private HermeticGitConfig() {}

    /** Installs the hermetic reader; idempotent. */
    public static synchronized void install() {
        SystemReader current = SystemReader.getInstance();
        if (!(current instanceof Hermetic)) {
            SystemReader.setInstance(new Hermetic(current));
        }
    }

    /** Whether JGit currently reads no configuration outside repositories. */
    public static boolean installed() {
        return SystemReader.getInstance() instanceof Hermetic;
    }

    private static final class Hermetic extends SystemReader.Delegate {
        Hermetic(SystemReader delegate) {
            super(delegate);
        }

        @Override
        public FileBasedConfig openUserConfig(Config parent, FS fs) {
            return empty(parent, fs);
        }

        @Override
        public FileBasedConfig openSystemConfig(Config parent, FS fs) {
            return empty(parent, fs);
        }

        @Override
        public FileBasedConfig openJGitConfig(Config parent, FS fs) {
            return empty(parent, fs);
        }

        private static FileBasedConfig empty(Config parent, FS fs) {
            return new FileBasedConfig(parent, null, fs) {
                @Override
                public void load() {
                    // nothing outside the repository is read
                }

                @Override
                public boolean isOutdated() {
                    return false;
                }

                @Override
                public void save() {
                    // nothing outside the repository is written either: JGit saves what it measured of the file
                    // system (FS.FileStoreAttributes) into its own config from a background thread, and a config
                    // without a file made that save fail with a NullPointerException on every start
                }
            };
        }
    }
}
