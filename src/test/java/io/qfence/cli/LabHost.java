package io.qfence.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

/** What the lab's Debian host needs from its operator before qfence runs there (the tests do it, as root). */
final class LabHost {

    private LabHost() {}

    /**
     * Debian builds br_netfilter as a module that nothing loads on demand, and realization refuses bridged VMs without
     * it (DESIGN.md: the host's bridge netfilter setting is owned explicitly).
     */
    static void loadBrNetfilter() throws IOException, InterruptedException {
        assertThat(new ProcessBuilder("modprobe", "br_netfilter").inheritIO().start().waitFor()).as("modprobe br_netfilter").isZero();
    }
}
