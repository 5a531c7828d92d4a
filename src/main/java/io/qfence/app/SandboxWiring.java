package io.qfence.app;

import io.qfence.host.HostConnector;
import io.qfence.host.HostPorts;
import io.qfence.host.HostTarget;
import io.qfence.model.Ipv4Address;
import io.qfence.model.Ipv4Cidr;
import io.qfence.model.host.HostFacts;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupFsPort;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.netlink.PlainLinks;
import io.qfence.platform.os.NetNamespace;
import io.qfence.platform.qemu.QemuGuests;
import io.qfence.platform.qemu.SerialConsole;
import io.qfence.platform.sandbox.SandboxAdapters;
import java.time.Duration;
import java.util.Optional;

/**
 * The adapters of a {@code NetnsSandbox} on this machine: the same ones {@code qfence apply} uses (cgroupfs, QEMU,
 * rtnetlink, the serial console), and the host's facts from the live host's own detector ({@link LiveHostFacts},
 * through {@code host}), so that a sandbox and the live host can never disagree about what the kernel can do.
 */
final class SandboxWiring {

    private SandboxWiring() {}

    /** Built when a sandbox is created (not at start-up: commands that make no sandbox must not need cgroups). */
    static SandboxAdapters adapters(HostConnector host) {
        CgroupFs cgroups = new CgroupFs(CgroupLayout.detect());
        return new SandboxAdapters(netns -> facts(host, new HostTarget(Optional.of(netns.toString()), Optional.empty())),
                new CgroupFsPort(cgroups), cgroups,
                (netns, imagesRoot, stateDir) -> new QemuGuests(QemuGuests.Settings.of(imagesRoot, stateDir, cgroups).inNamespace(netns)),
                RtnlLinks::new, socket -> new Console(SerialConsole.connect(socket)));
    }

    /** The facts of {@code target} as the live host has them: its {@link io.qfence.host.HostFactsPort}, and no other code. */
    static HostFacts facts(HostConnector host, HostTarget target) {
        try (HostPorts ports = host.connect(target)) {
            return ports.facts().facts();
        }
    }

    /** The sandbox's own links over rtnetlink, in one namespace; the adapter translates its failures. */
    private record RtnlLinks(PlainLinks links) implements SandboxAdapters.Links {

        RtnlLinks(NetNamespace netns) {
            this(PlainLinks.open(netns));
        }

        @Override
        public void setUp(String link) {
            links.setUp(link);
        }

        @Override
        public void createVethPair(String name, String peer, NetNamespace peerNamespace) {
            links.createVethPair(name, peer, peerNamespace);
        }

        @Override
        public void addAddress(String link, String cidr) {
            links.addAddress(link, cidr);
        }

        @Override
        public void addRoute(Ipv4Cidr destination, Ipv4Address via, String link) {
            links.addRoute(destination, via, link);
        }

        @Override
        public void close() {
            links.close();
        }
    }

    private record Console(SerialConsole console) implements SandboxAdapters.Console {

        @Override
        public void awaitShell(Duration timeout, Duration attemptEvery) {
            console.awaitShell(timeout, attemptEvery);
        }

        @Override
        public String run(String command, Duration timeout) {
            return console.run(command, timeout).output();
        }

        @Override
        public void close() {
            console.close();
        }
    }
}
