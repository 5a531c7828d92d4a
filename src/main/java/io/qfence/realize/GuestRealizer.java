package io.qfence.realize;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.ByteSize;
import io.qfence.model.ConfigDigest;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.desired.BootSource;
import io.qfence.model.desired.Group;
import io.qfence.model.desired.Host;
import io.qfence.model.desired.QemuSettings;
import io.qfence.model.desired.Vm;
import io.qfence.model.desired.VmState;
import io.qfence.realize.IsolationPolicy.VmEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A VM's QEMU guest (DESIGN.md §9): its full argv, uid/gid, files under {@code runDir/VM/}, images under
 * {@code imagesRoot}, and the config digest.
 *
 * <p>The command line, and why:
 * <ul>
 *   <li>{@code -S}: start paused, so the launcher can check uid, seccomp and cgroup before {@code cont};</li>
 *   <li>{@code -nodefaults -no-user-config -display none}: no device or config the desired state did not name;</li>
 *   <li>{@code -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny}: seccomp; the
 *       process already runs as the VM's uid, so it never needs to change ids, fork or exec;</li>
 *   <li>{@code -qmp unix:…,server=on,wait=off}: QMP only on a UNIX socket in the 0700 run directory, never TCP;</li>
 *   <li>serial console on a UNIX socket with a log file, which logs even with no client connected;</li>
 *   <li>bridged: {@code -netdev tap,fd=3,vhost=off}: root opened the tap and passes it as fd 3, QEMU never opens
 *       {@code /dev/net/tun}; vhost would need {@code /dev/vhost-net};</li>
 *   <li>user-mode: {@code -netdev user} without any {@code hostfwd}; {@code restrict=on} when the VM has no flow at
 *       all, so slirp itself refuses every connection (the per-uid firewall rules stay the enforcement otherwise);</li>
 *   <li>disk: {@code -blockdev} in JSON syntax with the format always explicit (never probed) and, for qcow2,
 *       {@code "backing":null}, so the image can never make QEMU open another file through a backing-file header;</li>
 *   <li>{@code -accel tcg,tb-size=16} (saves ~35 MB of RSS per guest, HOST-FACTS) or {@code -accel kvm}.</li>
 * </ul>
 * Values inside QEMU option strings escape commas by doubling them; the plain-argument paths ({@code -pidfile},
 * {@code -kernel}, {@code -initrd}) are passed as they are.
 */
final class GuestRealizer {

    static final String SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
    /** The descriptor number at which the launcher places the VM's open tap. */
    static final int TAP_FD = 3;

    private GuestRealizer() {}

    static Guest guest(Host host, Group group, Vm vm, VmEndpoint endpoint, String cgroupPath, boolean restrictSlirp, boolean apparmor) {
        return guest(host, group, vm, endpoint, cgroupPath, restrictSlirp, apparmor, false);
    }

    /** @param jail whether QEMU runs in the guest jail (config {@code namespaces: jail}, DESIGN.md §9) */
    static Guest guest(Host host, Group group, Vm vm, VmEndpoint endpoint, String cgroupPath, boolean restrictSlirp, boolean apparmor,
                       boolean jail) {
        String runDir = join(host.runDir(), vm.name());
        String qmp = runDir + "/qmp.sock";
        String serialSocket = runDir + "/serial.sock";
        String serialLog = runDir + "/serial.log";
        String pidFile = runDir + "/qemu.pid";
        QemuSettings qemu = host.qemu();
        SortedMap<String, String> config = new TreeMap<>();

        List<String> argv = new ArrayList<>();
        argv.add(qemu.binary());
        argv.add("-S");
        argv.addAll(List.of("-name", "guest=" + vm.name() + ",process=qf-" + vm.name() + ",debug-threads=on"));
        argv.addAll(List.of("-machine", qemu.machine()));
        argv.addAll(List.of("-accel", qemu.accel() == QemuSettings.Accel.TCG ? "tcg,tb-size=16" : qemu.accel().qemuName()));
        argv.addAll(List.of("-m", memoryArgument(vm.memory())));
        argv.addAll(List.of("-smp", Integer.toString(vm.cpus())));
        argv.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none"));
        argv.addAll(List.of("-sandbox", SANDBOX));
        argv.addAll(List.of("-qmp", "unix:" + opt(qmp) + ",server=on,wait=off"));
        argv.addAll(List.of("-chardev", "socket,id=serial0,path=" + opt(serialSocket) + ",server=on,wait=off,logfile=" + opt(serialLog)));
        argv.addAll(List.of("-serial", "chardev:serial0"));
        argv.addAll(List.of("-pidfile", pidFile));
        if (endpoint.bridged()) {
            argv.addAll(List.of("-netdev", "tap,id=net0,fd=" + TAP_FD + ",vhost=off"));
            config.put("network", "bridged tap " + endpoint.tap().orElseThrow());
        } else {
            argv.addAll(List.of("-netdev", "user,id=net0" + (restrictSlirp ? ",restrict=on" : "")));
            config.put("network", restrictSlirp ? "user restricted" : "user");
        }
        argv.addAll(List.of("-device", "virtio-net-pci,netdev=net0,mac=" + endpoint.mac()));

        List<String> images = new ArrayList<>();
        BootSource boot = vm.boot();
        if (boot instanceof BootSource.Disk disk) {
            String path = join(host.imagesRoot(), disk.path());
            images.add(path);
            argv.addAll(List.of("-blockdev", blockdevFile(path)));
            argv.addAll(List.of("-blockdev", blockdevFormat(disk.format())));
            argv.addAll(List.of("-device", "virtio-blk-pci,drive=disk0,bootindex=1"));
            config.put("disk", path + " (" + disk.format().qemuName() + ")");
        } else {
            BootSource.Kernel k = (BootSource.Kernel) boot;
            String kernel = join(host.imagesRoot(), k.kernel());
            images.add(kernel);
            argv.addAll(List.of("-kernel", kernel));
            config.put("kernel", kernel);
            if (k.initrd().isPresent()) {
                String initrd = join(host.imagesRoot(), k.initrd().get());
                images.add(initrd);
                argv.addAll(List.of("-initrd", initrd));
                config.put("initrd", initrd);
            }
            argv.addAll(List.of("-append", k.cmdline()));
            config.put("append", k.cmdline());
        }
        config.put("accel", qemu.accel().qemuName());
        config.put("apparmor", apparmor ? "enforce" : "off");
        config.put("binary", qemu.binary());
        config.put("cpus", Integer.toString(vm.cpus()));
        config.put("mac", endpoint.mac().toString());
        config.put("machine", qemu.machine());
        config.put("namespaces", jail ? "jail" : "off");
        config.put("memory", vm.memory().toString());

        GuestLaunch launch = new GuestLaunch(runDir, qmp, serialSocket, serialLog, pidFile, images, cgroupPath,
                endpoint.tap(), vm.stopTimeout());
        return new Guest(Addresses.vm(group.name(), vm.name()), vm.name(), group.name(), endpoint.uid(), endpoint.uid(),
                argv, ConfigDigest.of(argv), config, vm.state() == VmState.RUNNING ? GuestState.RUNNING : GuestState.STOPPED,
                launch, GuestRuntime.NONE);
    }

    /** {@code -m} in MiB, the unit QEMU's RAM size is aligned to; the caller rejects other sizes first. */
    static String memoryArgument(ByteSize memory) {
        if (memory.bytes() == 0 || memory.bytes() % ByteSize.MI != 0) {
            throw new IllegalArgumentException("guest memory must be a positive multiple of 1Mi, got " + memory);
        }
        return memory.mebibytes() + "M";
    }

    private static String blockdevFile(String path) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("driver", "file");
        o.put("node-name", "disk0-file");
        o.put("filename", path);
        return Json.compact(o);
    }

    private static String blockdevFormat(BootSource.DiskFormat format) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("driver", format.qemuName());
        o.put("node-name", "disk0");
        o.put("file", "disk0-file");
        if (format == BootSource.DiskFormat.QCOW2) {
            o.putNull("backing");
        }
        return Json.compact(o);
    }

    /** A value inside a QEMU option string: commas are doubled, as QemuOpts expects. */
    static String opt(String value) {
        return value.replace(",", ",,");
    }

    /**
     * Joins an absolute directory and a relative path lexically (the loader has refused {@code ..}, {@code .} and
     * empty components; the launcher re-checks symlinks at open time).
     */
    static String join(String dir, String relative) {
        String base = dir;
        while (base.length() > 1 && base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return base.equals("/") ? "/" + relative : base + "/" + relative;
    }

    static Optional<String> memoryProblem(Vm vm) {
        return vm.memory().bytes() == 0 || vm.memory().bytes() % ByteSize.MI != 0
                ? Optional.of("vm " + vm.name() + ": memory must be a positive multiple of 1Mi, got " + vm.memory())
                : Optional.empty();
    }
}
