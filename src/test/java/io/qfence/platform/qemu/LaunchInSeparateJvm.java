package io.qfence.platform.qemu;

import io.qfence.model.host.Guest;
import io.qfence.platform.os.NetNamespace;
import java.nio.file.Path;
import java.util.List;

/**
 * Launches one probe guest and exits at once: a short-lived qfence, to show that its guests outlive it.
 * Arguments: netns-path run-root images-root subnet-prefix host-name vm uid last-octet cgroup-dir...
 */
public final class LaunchInSeparateJvm {

    public static void main(String[] args) {
        ProbeHost.Probe probe = ProbeHost.Probe.bridged(args[5], Long.parseLong(args[6]), Integer.parseInt(args[7]));
        Guest guest = ProbeHost.guest(Path.of(args[1]), Path.of(args[2]), args[3], args[4], probe);
        List<Path> cgroups = java.util.Arrays.stream(args).skip(8).map(Path::of).toList();
        NetNamespace ns = NetNamespace.open(Path.of(args[0]));
        GuestLauncher.Launched launched = GuestLauncher.launch(guest, GuestLauncher.Options.of(Path.of(args[2]), cgroups).inNamespace(ns));
        System.out.println("PID " + launched.process().pid());
        System.out.flush();
        System.exit(0);
    }
}
