package io.qfence.platform.netlink;

import io.qfence.testing.RequiresHost;
import io.qfence.testing.TestNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Timings at issue-7 scale (200 bridges, 1000 ports), printed, never asserted. A benchmark, not a test: it lives in
 * {@code bench/} and runs with {@code bench/scale links} (bench/README.md).
 */
@RequiresHost(tools = "ip")
@EnabledIfSystemProperty(named = "qfence.bench", matches = "true")
class LinkScaleBenchmark {

    private static final int BRIDGES = Integer.getInteger("qfence.bench.bridges", 200);
    private static final int PORTS = Integer.getInteger("qfence.bench.ports", 1000);

    /** Builds the topology: bridges, veth pairs whose first end is a bridge port, all up. */
    private static void build(RtnlClient rtnl, int bridges, int ports, int group) {
        LinkBatch batch = rtnl.batch();
        for (int b = 0; b < bridges; b++) {
            batch.createBridge("qfb-" + b, BridgeOptions.DEFAULTS);
        }
        for (int p = 0; p < ports; p++) {
            batch.createVethPair("qfp-" + p, "qfq-" + p);
        }
        batch.execute().orThrow();
        batch = rtnl.batch();
        for (int p = 0; p < ports; p++) {
            batch.setMaster("qfp-" + p, "qfb-" + (p % bridges)).setUp("qfp-" + p);
        }
        for (int b = 0; b < bridges; b++) {
            batch.setUp("qfb-" + b);
        }
        if (group != 0) {
            for (int b = 0; b < bridges; b++) {
                batch.setGroup("qfb-" + b, group);
            }
            for (int p = 0; p < ports; p++) {
                batch.setGroup("qfp-" + p, group);
            }
        }
        batch.execute().orThrow();
    }

    /** Lets the kernel finish cleaning up the previous scenario's namespace, which holds the RTNL lock meanwhile. */
    private static void settle() {
        try {
            Thread.sleep(Long.getLong("qfence.bench.settleMillis", 8000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<String> deletionOrder(int bridges, int ports) {
        List<String> names = new ArrayList<>();
        for (int p = 0; p < ports; p++) {
            names.add("qfp-" + p);
        }
        for (int b = 0; b < bridges; b++) {
            names.add("qfb-" + b);
        }
        return names;
    }

    private static void timed(String label, int bridges, int ports, int group, Consumer<RtnlClient> delete) {
        settle();
        try (TestNamespace ns = TestNamespace.create(); RtnlClient rtnl = RtnlClient.open(ns.netns())) {
            long t0 = System.nanoTime();
            build(rtnl, bridges, ports, group);
            long t1 = System.nanoTime();
            int links = rtnl.links().size();
            long t2a = System.nanoTime();
            links = rtnl.links().size();
            long t2 = System.nanoTime();
            System.out.printf("    dumps of %d links: cold %.1f ms, warm %.1f ms%n", links, (t2a - t1) / 1e6, (t2 - t2a) / 1e6);
            delete.accept(rtnl);
            long t3 = System.nanoTime();
            int left = rtnl.links().size();
            System.out.printf("%-40s bridges=%d ports=%d: build %d ms, dump of %d links %.1f ms, delete %d ms (%d links left)%n",
                    label, bridges, ports, (t1 - t0) / 1_000_000, links, (t2 - t1) / 1e6, (t3 - t2) / 1_000_000, left);
        }
    }

    @Test
    void dumpVersusIproute2() {
        try (TestNamespace ns = TestNamespace.create(); RtnlClient rtnl = RtnlClient.open(ns.netns())) {
            build(rtnl, BRIDGES, PORTS, 0);
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                int n = rtnl.links().size();
                long t1 = System.nanoTime();
                ns.witness("ip", "-j", "-d", "link", "show");
                long t2 = System.nanoTime();
                int a = rtnl.addresses().size();
                long t3 = System.nanoTime();
                System.out.printf("dump %d links: qfence %.1f ms, ip -j -d link show (incl. fork+exec) %.1f ms; %d addresses %.1f ms%n",
                        n, (t1 - t0) / 1e6, (t2 - t1) / 1e6, a, (t3 - t2) / 1e6);
            }
        }
    }

    @Test
    void creationBatchedVersusOneByOne() {
        for (boolean batched : new boolean[] {false, true, false, true}) {
            settle();
            try (TestNamespace ns = TestNamespace.create(); RtnlClient rtnl = RtnlClient.open(ns.netns())) {
                long t0 = System.nanoTime();
                if (batched) {
                    build(rtnl, BRIDGES, PORTS, 0);
                } else {
                    for (int b = 0; b < BRIDGES; b++) {
                        rtnl.createBridge("qfb-" + b, BridgeOptions.DEFAULTS);
                    }
                    for (int p = 0; p < PORTS; p++) {
                        rtnl.createVethPair("qfp-" + p, "qfq-" + p);
                    }
                    for (int p = 0; p < PORTS; p++) {
                        rtnl.setMaster("qfp-" + p, "qfb-" + (p % BRIDGES));
                        rtnl.setUp("qfp-" + p);
                    }
                    for (int b = 0; b < BRIDGES; b++) {
                        rtnl.setUp("qfb-" + b);
                    }
                }
                System.out.printf("create %d bridges + %d veth pairs, enslave and set up: %s %d ms%n", BRIDGES, PORTS,
                        batched ? "batched" : "one request at a time", (System.nanoTime() - t0) / 1_000_000);
            }
        }
    }

    @Test
    void deletionStrategies() {
        // One by one is slow: measure it on a tenth of the scale, and time bridges and veths apart.
        int smallBridges = Math.max(1, BRIDGES / 10);
        int smallPorts = Math.max(1, PORTS / 10);
        timed("one by one: ports then bridges", smallBridges, smallPorts, 0, rtnl -> {
            long t = System.nanoTime();
            for (int p = 0; p < smallPorts; p++) {
                rtnl.deleteLink("qfp-" + p);
            }
            long mid = System.nanoTime();
            for (int b = 0; b < smallBridges; b++) {
                rtnl.deleteLink("qfb-" + b);
            }
            long end = System.nanoTime();
            System.out.printf("    per veth pair %.1f ms, per bridge %.1f ms%n", (mid - t) / 1e6 / smallPorts, (end - mid) / 1e6 / smallBridges);
        });
        timed("one by one: empty bridges only", smallBridges, 0, 0, rtnl -> {
            long t = System.nanoTime();
            for (int b = 0; b < smallBridges; b++) {
                rtnl.deleteLink("qfb-" + b);
            }
            System.out.printf("    per empty bridge %.1f ms%n", (System.nanoTime() - t) / 1e6 / smallBridges);
        });
        timed("batched DELLINK, one datagram per 256", BRIDGES, PORTS, 0, rtnl -> {
            LinkBatch batch = rtnl.batch();
            deletionOrder(BRIDGES, PORTS).forEach(batch::deleteLink);
            batch.execute().orThrow();
        });
        timed("netdev group, one DELLINK", BRIDGES, PORTS, 77, rtnl -> rtnl.deleteGroup(77));
        timed("deleteLinks (scratch group)", BRIDGES, PORTS, 0, rtnl -> rtnl.deleteLinks(deletionOrder(BRIDGES, PORTS)).orThrow());
        timed("deleteLinks, 1/10 of the links", BRIDGES, PORTS, 0,
                rtnl -> rtnl.deleteLinks(deletionOrder(BRIDGES, PORTS).subList(0, (BRIDGES + PORTS) / 10)).orThrow());
        settle();
        try (TestNamespace ns = TestNamespace.create(); RtnlClient rtnl = RtnlClient.open(ns.netns())) {
            build(rtnl, BRIDGES, PORTS, 0);
            rtnl.close();
            long t = System.nanoTime();
            ns.close();
            long returned = System.nanoTime();
            // The kernel now unregisters the links in the background, under the RTNL lock: a request that needs
            // that lock, in another namespace, waits for the cleanup, which shows how long it takes.
            try (TestNamespace probe = TestNamespace.create(); RtnlClient other = RtnlClient.open(probe.netns())) {
                other.createBridge("qfb-probe", BridgeOptions.DEFAULTS);
            }
            System.out.printf("%-40s bridges=%d ports=%d: delete namespace returned in %.1f ms; next RTNL request done after %d ms%n",
                    "whole namespace", BRIDGES, PORTS, (returned - t) / 1e6, (System.nanoTime() - t) / 1_000_000);
        }
    }
}
