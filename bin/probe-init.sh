#!/bin/sh
# /init of qfence's probe guest (PID 1), built into the initramfs by bin/build-probe-image.
#
# Everything it does comes from the kernel command line (QEMU's -append):
#   qf.ip=10.10.0.11/24   address of eth0 (the MAC comes from QEMU's -device ...,mac=)
#   qf.gw=10.10.0.1       default route
#   qf.name=web-01        who answers: listeners reply "QF-TCP-OK web-01" / "QF-UDP-OK web-01" (without qf.name,
#                         just "QF-TCP-OK" / "QF-UDP-OK")
#   qf.tcp=22,5432        TCP ports that accept connections and answer "QF-TCP-OK[ NAME]"
#   qf.udp=53,514         UDP ports that answer each datagram with "QF-UDP-OK[ NAME]"
#   qf.acpi=off           do not handle the ACPI power button (a guest that ignores system_powerdown)
#
# Then it runs a shell on the serial console for a host-side driver, and prints QF-PROBE-READY when the network
# and the listeners are up. PID 1 must never exit (the kernel would panic), hence the loop at the end.
#
# /bin/qf-probe ID t|u|i ADDRESS [PORT] is the client side of `qfence verify`: one TCP connect, UDP exchange or
# ping, with 1-second timeouts, reported as one line "QF-P ID RC ANSWER" (RC: 0 answered or ping replied, 1 no
# answer; ANSWER: the first line received, or nc's complaint, e.g. "Connection refused"). Many run in parallel;
# each line is written with one write(2), so lines never interleave.
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

name=$(arg qf.name)
printf '#!/bin/sh\necho QF-TCP-OK%s\n' "${name:+ $name}" >/bin/qf-tcp-reply
printf '#!/bin/sh\necho QF-UDP-OK%s\n' "${name:+ $name}" >/bin/qf-udp-reply
chmod 0755 /bin/qf-tcp-reply /bin/qf-udp-reply
for port in $(arg qf.tcp | tr ',' ' '); do
    nc -ll -p "$port" -e /bin/qf-tcp-reply &
done
for port in $(arg qf.udp | tr ',' ' '); do
    # netcat-traditional serves one peer per run over UDP (it connects its socket to the first sender): restart it
    # after each answer, and run three of them on the port (SO_REUSEADDR), so that while one is busy with a peer
    # the others still take datagrams from other peers.
    for copy in 1 2 3; do
        (while true; do nc.traditional -u -l -p "$port" -e /bin/qf-udp-reply >/dev/null 2>&1; done) &
    done
done

cat >/bin/qf-probe <<'PROBE'
#!/bin/sh
id=$1 proto=$2 address=$3 port=$4
case "$proto" in
    t) out=$(nc -w 1 "$address" "$port" </dev/null 2>&1) ;;
    # three datagrams 0.25 s apart (a listener may be busy with another peer), then up to 1 s for the answer;
    # -n: no reverse lookup (there is no resolver), -q 1: quit 1 s after the last datagram
    u) out=$( (echo qf; sleep 0.25; echo qf; sleep 0.25; echo qf) | nc.traditional -n -u -q 1 -w 1 "$address" "$port" 2>&1) ;;
    i) out=$(ping -c 1 -W 1 "$address" 2>&1 | grep -o 'bytes from .*' | head -n 1) ;;
    *) out="unknown protocol $proto" ;;
esac
case "$out" in
    *QF-*OK*) rc=0; answer=$(echo "$out" | grep -o 'QF-[A-Z]*-OK.*' | head -n 1) ;;
    "bytes from"*) rc=0; answer=$out ;;
    *) rc=1; answer=$(echo "$out" | grep -v '^$' | tail -n 1) ;;
esac
echo "QF-P $id $rc $answer"
PROBE
chmod 0755 /bin/qf-probe

if [ "$(arg qf.acpi)" != "off" ]; then
    # busybox acpid maps the power button to /etc/acpi/PWRF/00000080.
    printf '#!/bin/sh\necho QF-POWERDOWN >/dev/console\npoweroff -f\n' >/etc/acpi/PWRF/00000080
    chmod 0755 /etc/acpi/PWRF/00000080
    acpid -c /etc/acpi -l /dev/null -p /run/acpid.pid
fi

echo "QF-PROBE-READY ip=${address:-none} tcp=$(arg qf.tcp) udp=$(arg qf.udp) acpi=$(arg qf.acpi)"

# The serial console: a plain shell without echo, so that a driver reads only what its commands print.
while true; do
    setsid sh -c 'stty -echo -onlcr 2>/dev/null; exec sh' </dev/ttyS0 >/dev/ttyS0 2>&1
done
