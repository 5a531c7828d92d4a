#!/bin/sh
# /init of qfence's probe guest (PID 1), built into the initramfs by bin/build-probe-image.
#
# Everything it does comes from the kernel command line (QEMU's -append):
#   qf.ip=10.10.0.11/24   address of eth0 (the MAC comes from QEMU's -device ...,mac=)
#   qf.gw=10.10.0.1       default route
#   qf.name=web-01        who answers: listeners reply "QF-TCP-OK web-01" / "QF-UDP-OK web-01" (without qf.name,
#                         just "QF-TCP-OK" / "QF-UDP-OK"); /bin/qf-agent (bin/probe-agent.pl) serves them all
#   qf.tcp=22,5432        TCP ports that accept connections and answer "QF-TCP-OK[ NAME]"
#   qf.udp=53,514         UDP ports that answer each datagram with "QF-UDP-OK[ NAME]"
#   qf.acpi=off           do not handle the ACPI power button (a guest that ignores system_powerdown)
#
# Then it runs a shell on the serial console for a host-side driver, and prints QF-PROBE-READY when the network
# and the listeners are up. PID 1 must never exit (the kernel would panic), hence the loop at the end.
#
# `/bin/qf-probe SECONDS ID,t|u|i,ADDRESS[,PORT] ...` is the client side of `qfence verify`: it hands the batch to the
# running agent, which runs every probe of it at once from one forked process and prints one "QF-P ID RC ANSWER"
# line each (bin/probe-agent.pl).
/bin/busybox --install -s /bin
export PATH=/bin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /run /var/run /var/log /tmp /etc/acpi/PWRF

for m in /modules/*.ko; do
    insmod "$m" 2>/dev/null || echo "QF-INIT: insmod $m failed"
done

arg() {
    for word in $(cat /proc/cmdline); do
        case "$word" in
            "$1"=*) echo "${word#*=}"; return 0 ;;
        esac
    done
    return 0
}

ip link set lo up
address=$(arg qf.ip)
gateway=$(arg qf.gw)
if [ -n "$address" ]; then
    ip link set eth0 up
    ip addr add "$address" dev eth0
    [ -n "$gateway" ] && ip route add default via "$gateway"
fi

# Ping sockets for the agent's ICMP probes (no raw socket, no setuid ping).
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
# The agent binds every port, then detaches; without its listeners the guest must not report ready.
listeners=ok
mkfifo -m 0600 /run/qf-agent.in /run/qf-agent.out
# perl seeds its hash function and its internal PRNG from /dev/urandom as it starts. This kernel (6.1) answers a read
# of /dev/urandom made before its RNG is initialized by running its jitter-entropy loop until it is, and a probe
# guest has no RDRAND (TCG's default CPU) and no virtio-rng: in a boot fast enough to reach the agent before the RNG
# was ready, that loop cost the agent's start about 0.6 s of emulated CPU (bench/probe-boot.sh, DESIGN.md §14). Fixed seeds for this one throwaway process instead: the agent keys its
# hashes by file descriptors, never by what a peer sends, and draws no random number.
PERL_HASH_SEED=0 PERL_INTERNAL_RAND_SEED=0 qf-agent listen "$(arg qf.name)" "$(arg qf.tcp)" "$(arg qf.udp)" /run/qf-agent.in /run/qf-agent.out || listeners=failed
printf '#!/bin/sh\necho "$*" >/run/qf-agent.in && exec cat /run/qf-agent.out\n' >/bin/qf-probe
chmod 0755 /bin/qf-probe

if [ "$(arg qf.acpi)" != "off" ]; then
    # busybox acpid maps the power button to /etc/acpi/PWRF/00000080.
    printf '#!/bin/sh\necho QF-POWERDOWN >/dev/console\npoweroff -f\n' >/etc/acpi/PWRF/00000080
    chmod 0755 /etc/acpi/PWRF/00000080
    acpid -c /etc/acpi -l /dev/null -p /run/acpid.pid
fi

if [ "$listeners" = ok ]; then
    echo "QF-PROBE-READY ip=${address:-none} tcp=$(arg qf.tcp) udp=$(arg qf.udp) acpi=$(arg qf.acpi)"
else
    echo "QF-INIT: the probe agent could not bind its listeners"
fi

# The serial console: a plain shell without echo, so that a driver reads only what its commands print.
while true; do
    setsid sh -c 'stty -echo -onlcr 2>/dev/null; exec sh' </dev/ttyS0 >/dev/ttyS0 2>&1
done
