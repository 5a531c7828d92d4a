package io.qfence.realize;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.ByteSize;
import io.qfence.model.ConfigDigest;
import io.qfence.model.Ipv4Address;
import io.qfence.model.host.Addresses;
import io.qfence.model.host.CloudInitSeed;
import io.qfence.model.host.Overlay;
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
        return guest(host, group, vm, endpoint, cgroupPath, restrictSlirp, apparmor, jail, false, List.of());
    }

    /**
     * @param routed whether the group's bridge carries the gateway address (the seed's default route, DESIGN.md §17)
     * @param dns    the name servers an exception lets this VM reach (the seed's nameservers)
     */
    static Guest guest(Host host, Group group, Vm vm, VmEndpoint endpoint, String cgroupPath, boolean restrictSlirp, boolean apparmor,
                       boolean jail, boolean routed, List<Ipv4Address> dns) {
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
        Optional<Overlay> overlay = Optional.empty();
        BootSource boot = vm.boot();
        // With a direct kernel the disk holds only the root filesystem: no boot index, the firmware boots the kernel
        String diskDevice = "virtio-blk-pci,drive=disk0" + (boot.directKernel().isPresent() ? "" : ",bootindex=1");
        if (boot instanceof BootSource.Disk disk) {
            String path = join(host.imagesRoot(), disk.path());
            images.add(path);
            argv.addAll(List.of("-blockdev", blockdevFile("disk0-file", path, false)));
            argv.addAll(List.of("-blockdev", blockdevFormat("disk0", "disk0-file", disk.format().qemuName(), false, Optional.empty())));
            argv.addAll(List.of("-device", diskDevice));
            config.put("disk", path + " (" + disk.format().qemuName() + ")");
        } else if (boot instanceof BootSource.BaseImage baseImage) {
            // The base is opened read-only under a node of its own and named as the overlay's backing node: the
            // overlay's header (which qemu-img wrote) is never used to find a file (DESIGN.md §17).
            String base = join(host.imagesRoot(), baseImage.base());
            String path = join(host.imagesRoot(), BootSource.BaseImage.overlayPath(vm.name()));
            String format = baseImage.format().qemuName();
            images.add(base);
            images.add(path);
            overlay = Optional.of(new Overlay(path, base, format));
            argv.addAll(List.of("-blockdev", blockdevFile("base0-file", base, true)));
            argv.addAll(List.of("-blockdev", blockdevFormat("base0", "base0-file", format, true, Optional.empty())));
            argv.addAll(List.of("-blockdev", blockdevFile("disk0-file", path, false)));
            argv.addAll(List.of("-blockdev", blockdevFormat("disk0", "disk0-file", "qcow2", false, Optional.of("base0"))));
            argv.addAll(List.of("-device", diskDevice));
            config.put("disk", path + " (qcow2) over " + base + " (" + format + ")");
        }
        if (boot.directKernel().isPresent()) {
            BootSource.Kernel k = boot.directKernel().get();
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
        Optional<CloudInitSeed> seed = vm.cloudInit().map(ci -> SeedRealizer.seed(group, vm, ci, endpoint, runDir, routed, dns));
        if (seed.isPresent()) {
            CloudInitSeed s = seed.get();
            argv.addAll(List.of("-blockdev", blockdevFile("seed0-file", s.path(), true)));
            argv.addAll(List.of("-blockdev", blockdevFormat("seed0", "seed0-file", "raw", true, Optional.empty())));
            // the serial is the instance-id: a seed change changes the command line, hence the digest (a restart)
            argv.addAll(List.of("-device", "virtio-blk-pci,drive=seed0,serial=" + s.instanceId()));
            config.put("seed", s.instanceId());
            s.parts().forEach((part, digest) -> config.put("seed." + part, digest));
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
                endpoint.tap(), vm.stopTimeout(), overlay, seed);
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

    private static String blockdevFile(String node, String path, boolean readOnly) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("driver", "file");
        o.put("node-name", node);
        o.put("filename", path);
        if (readOnly) {
            o.put("read-only", true);
        }
        return Json.compact(o);
    }

    /**
     * A format node. qcow2 always names its backing: another node, or {@code null} (none), so an image header can
     * never make QEMU open a file; raw has no backing.
     */
    private static String blockdevFormat(String node, String file, String format, boolean readOnly, Optional<String> backing) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("driver", format);
        o.put("node-name", node);
        o.put("file", file);
        if (readOnly) {
            o.put("read-only", true);
        }
        if (format.equals("qcow2")) {
            if (backing.isPresent()) {
                o.put("backing", backing.get());
            } else {
                o.putNull("backing");
            }
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
