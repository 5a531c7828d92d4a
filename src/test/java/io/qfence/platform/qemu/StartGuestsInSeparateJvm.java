package io.qfence.platform.qemu;

import io.qfence.host.Progress;
import io.qfence.model.host.Guest;
import io.qfence.model.host.HostObject;
import io.qfence.plan.SnapshotCodec;
import io.qfence.platform.cgroup.CgroupFs;
import io.qfence.platform.cgroup.CgroupLayout;
import io.qfence.platform.os.NetNamespace;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A short-lived qfence: starts the guests in a JSON object list through {@link QemuGuests} and exits at once, so that
 * a test can show that they outlive it and that a later qfence adopts them.
 * Arguments: netns-path images-root state-dir guests.json. Prints {@code PID n} per guest.
 */
public final class StartGuestsInSeparateJvm {

    public static void main(String[] args) throws Exception {
        NetNamespace ns = NetNamespace.open(Path.of(args[0]));
        QemuGuests guests = new QemuGuests(QemuGuests.Settings.of(Path.of(args[1]), Path.of(args[2]), new CgroupFs(CgroupLayout.detect()))
                .inNamespace(ns));
        for (HostObject o : SnapshotCodec.objectsFromJson(Files.readString(Path.of(args[3])))) {
            Guest g = (Guest) o;
            guests.start(g, Progress.SILENT);
            System.out.println("PID " + guests.registry().find(g.vm()).orElseThrow().pid());
        }
        System.out.flush();
        System.exit(0);
    }
}
