package io.qfence.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.model.host.Addresses;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Sysctl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LastAppliedObjectsTest {

    private static Sysctl forwarding(String value) {
        return new Sysctl(Addresses.sysctl("net.ipv4.ip_forward"), "net.ipv4.ip_forward", value);
    }

    @Test
    void aReaderDecodesTheRecordAgainOnlyWhenItsTextChanged(@TempDir Path stateDir) throws Exception {
        LastAppliedObjects.Reader reader = new LastAppliedObjects.Reader();
        assertThat(reader.read(stateDir)).isEmpty();

        LastAppliedObjects.write(stateDir, List.of(forwarding("1")));
        List<HostObject> first = reader.read(stateDir).orElseThrow();
        assertThat(reader.read(stateDir).orElseThrow()).isSameAs(first);

        LastAppliedObjects.write(stateDir, List.of(forwarding("0")));
        assertThat(reader.read(stateDir).orElseThrow()).containsExactly(forwarding("0"));

        Files.delete(stateDir.resolve(LastAppliedObjects.FILE_NAME));
        assertThat(reader.read(stateDir)).isEmpty();
    }
}
