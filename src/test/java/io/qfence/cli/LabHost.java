package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * What the lab's Debian host needs from its operator before qfence runs there (the tests do it, as root), and where
 * tests that also run in the lab find their files.
 */
final class LabHost {

    private LabHost() {}

    /**
     * Debian builds br_netfilter as a module that nothing loads on demand, and realization refuses bridged VMs without
     * it (DESIGN.md: the host's bridge netfilter setting is owned explicitly).
     */
    static void loadBrNetfilter() throws IOException, InterruptedException {
        assertThat(new ProcessBuilder("modprobe", "br_netfilter").inheritIO().start().waitFor()).as("modprobe br_netfilter").isZero();
    }

    /**
     * A directory of test resources, from the test classpath: {@code target/test-classes} here, the payload's copy of
     * it in the lab (which carries no {@code src/}).
     */
    static Path testResource(String name) {
        try {
            return Path.of(java.util.Objects.requireNonNull(LabHost.class.getResource("/" + name), name + " on the test classpath").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
