#!/bin/sh
# Where a probe guest's boot costs CPU under TCG (issue 21: verify boots nine of them, most guest tests one or more).
# Boots the probe guest REPS times, one at a time, as verify does (q35, tcg,tb-size=16, 96 MiB, one vCPU, virtio-net,
# `console=ttyS0 quiet panic=-1`; here on user-mode networking, so nothing of the host's network changes), and prints
# the QEMU process's CPU seconds (user + system, from /proc/PID/stat) when "QF-PROBE-READY" appears on its console.
# PROBE_PHASES=1 boots without `quiet` and also prints the CPU seconds at these kernel lines:
#   kernel   "Linux version": firmware, loading the kernel and initrd, decompressing the kernel
#   unpack   "Trying to unpack rootfs": the kernel's early init
#   init     "Run /init": the initramfs unpacked, built-in drivers initialized
#   ready    "QF-PROBE-READY": modules, network, the probe agent's listeners (bin/probe-init.sh)
# but the kernel's messages on the emulated UART take time, and so shift what happens when: the kernel's RNG is then
# initialized before the init runs, which it is not in a quiet boot (the agent's seeds, bin/probe-init.sh).
# CPU seconds, not wall time: on a machine shared with other work the wall time follows the load, the CPU a guest
# needs does not (much). To compare a variant, set PROBE_KERNEL, PROBE_INITRD or PROBE_APPEND (extra kernel words).
# Usage: bench/probe-boot.sh [REPS]   (as any user who can run QEMU; the probe image is built or taken from its cache)
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
reps=${1:-3}
images="$root/target/probe-images"
"$root/bin/build-probe-image" "$images" >/dev/null
kernel=${PROBE_KERNEL:-$images/kernels/vmlinuz}
initrd=${PROBE_INITRD:-$images/initrds/probe.img}
work=$(mktemp -d "${TMPDIR:-/tmp}/qfence-probe-boot.XXXXXX")
qemu=
cleanup() {
    [ -n "$qemu" ] && kill "$qemu" 2>/dev/null && wait "$qemu" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }

echo "probe-boot: kernel=$kernel initrd=$initrd append+=${PROBE_APPEND:-} phases=${PROBE_PHASES:-0} load=$(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$reps" ]; do
    i=$((i + 1))
    log="$work/console-$i.log"
    quiet=quiet
    [ "${PROBE_PHASES:-0}" = 1 ] && quiet=
    : >"$log"
    start=$(date +%s.%N)
    qemu-system-x86_64 -machine q35 -accel tcg,tb-size=16 -m 96M -smp 1 -nodefaults -no-user-config -display none \
        -chardev "file,id=s0,path=$log" -serial chardev:s0 -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0 \
        -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 $quiet panic=-1 ${PROBE_APPEND:-} qf.name=bench qf.ip=10.0.2.15/24 qf.tcp=22 qf.udp=53" 2>"$work/qemu.err" &
    qemu=$!
    line="boot $i:"
    markers="ready:QF-PROBE-READY"
    [ "${PROBE_PHASES:-0}" = 1 ] && markers="kernel:Linux_version unpack:Trying_to_unpack_rootfs init:Run_/init $markers"
    for marker in $markers; do
        marker=$(printf '%s' "$marker" | tr _ ' ')
        waited=0
        until grep -qa "${marker#*:}" "$log"; do
            kill -0 "$qemu" 2>/dev/null || { cat "$work/qemu.err" >&2; echo "probe-boot: QEMU ended before ${marker#*:}" >&2; exit 1; }
            waited=$((waited + 1))
            [ "$waited" -lt 30000 ] || { echo "probe-boot: no ${marker#*:} within 10 minutes" >&2; exit 1; }
            sleep 0.02
        done
        line="$line ${marker%%:*} $(cpu "$qemu")"
    done
    wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    kill "$qemu"
    wait "$qemu" 2>/dev/null || true
    qemu=
    echo "$line (CPU s; wall ${wall} s, load $(cut -d' ' -f1 /proc/loadavg))"
done
