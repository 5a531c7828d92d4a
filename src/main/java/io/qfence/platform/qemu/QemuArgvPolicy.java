package io.qfence.platform.qemu;

import io.qfence.model.host.GuestLaunch;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The launch-time guard on a realized QEMU command line: the realizer is meant to produce exactly this, and the
 * launcher refuses to start anything else (fail closed). Also usable in tests "for every guest".
 */
public final class QemuArgvPolicy {

    /** The seccomp sandbox every guest runs under. */
    public static final String SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

    /** Options that would undo the launch chain's guarantees: privilege changes, forking, debug stubs. */
    private static final List<String> FORBIDDEN = List.of("-daemonize", "-runas", "-chroot", "-gdb", "-s", "-monitor",
            "-mon", "-readconfig", "-writeconfig", "-enable-kvm");
    /** Transports that listen on or reach the network; QEMU's monitors and consoles use UNIX sockets only. */
    private static final List<String> NETWORK_TRANSPORTS = List.of("tcp:", "telnet:", "udp:", "websocket:", "vc:");

    private QemuArgvPolicy() {}

    /** Every way {@code argv} breaks the policy for a guest launched with {@code launch}; empty if none. */
    public static List<String> violations(List<String> argv, GuestLaunch launch) {
        List<String> problems = new ArrayList<>();
        if (argv.isEmpty() || !argv.get(0).startsWith("/")) {
            problems.add("argv must start with QEMU's absolute path");
            return problems;
        }
        for (String flag : List.of("-S", "-nodefaults", "-no-user-config")) {
            if (!argv.contains(flag)) {
                problems.add("missing " + flag);
            }
        }
        requireValue(argv, "-display", "none", problems);
        requireValue(argv, "-sandbox", SANDBOX, problems);
        requireValue(argv, "-qmp", "unix:" + launch.qmpSocket() + ",server=on,wait=off", problems);
        requireValue(argv, "-pidfile", launch.pidFile(), problems);
        for (String flag : FORBIDDEN) {
            if (argv.contains(flag)) {
                problems.add("forbidden option " + flag);
            }
        }
        for (int i = 1; i < argv.size(); i++) {
            String arg = argv.get(i).toLowerCase(Locale.ROOT);
            for (String transport : NETWORK_TRANSPORTS) {
                if (arg.startsWith(transport) || arg.contains("," + transport)) {
                    problems.add("network transport in argument " + argv.get(i));
                }
            }
            if (argv.get(i - 1).equals("-chardev") && arg.startsWith("socket") && (arg.contains("host=") || arg.contains("port="))) {
                problems.add("TCP chardev " + argv.get(i));
            }
            if (argv.get(i - 1).equals("-drive") && !arg.contains("format=")) {
                problems.add("disk without an explicit format: " + argv.get(i));
            }
        }
        List<String> netdevs = valuesOf(argv, "-netdev");
        if (launch.tap().isPresent()) {
            if (netdevs.size() != 1 || !netdevs.get(0).startsWith("tap,") || !netdevs.get(0).contains(",fd=3")) {
                problems.add("a bridged guest needs exactly one -netdev tap,...,fd=3, got " + netdevs);
            }
        } else {
            for (String netdev : netdevs) {
                if (!netdev.startsWith("user,")) {
                    problems.add("a guest without a tap may only use -netdev user, got " + netdev);
                }
            }
        }
        return problems;
    }

    private static void requireValue(List<String> argv, String flag, String expected, List<String> problems) {
        List<String> values = valuesOf(argv, flag);
        if (!values.equals(List.of(expected))) {
            problems.add(flag + " must be given once as '" + expected + "', got " + values);
        }
    }

    private static List<String> valuesOf(List<String> argv, String flag) {
        List<String> values = new ArrayList<>();
        for (int i = 1; i < argv.size() - 1; i++) {
            if (argv.get(i).equals(flag)) {
                values.add(argv.get(i + 1));
            }
        }
        return values;
    }
}
