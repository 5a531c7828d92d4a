package io.qfence.daemon.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.eclipse.jgit.util.SystemReader;
import org.junit.jupiter.api.Test;

class HermeticGitConfigTest {

    @Test
    void configurationOutsideRepositoriesIsNeitherReadNorWritten() throws Exception {
        HermeticGitConfig.install();
        HermeticGitConfig.install();

        assertThat(HermeticGitConfig.installed()).isTrue();
        SystemReader reader = SystemReader.getInstance();
        assertThat(reader.getUserConfig().getSections()).isEmpty();
        assertThat(reader.getSystemConfig().getSections()).isEmpty();
        // JGit saves its file-system measurements here from a background thread on every start
        reader.getJGitConfig().setString("filesystem", "test", "timestampResolution", "1 nanoseconds");
        assertThatCode(() -> reader.getJGitConfig().save()).doesNotThrowAnyException();
    }
}
