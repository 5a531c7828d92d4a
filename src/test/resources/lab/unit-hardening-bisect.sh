#!/bin/sh
# Which of qfence.service's hardening settings break the guest jail? Run in the production-kernel lab:
#   bin/lab run -- 'sh target/test-classes/lab/unit-hardening-bisect.sh'
# It runs jail-steps.sh (a shell copy of the jail's system calls) as a transient unit: with no hardening, with every
# hardening setting of packaging/qfence.service, and, if that breaks, with all but one and with only one of them, each
# line TRIAL <name>: OK|BROKEN and the failing step. Measured on Debian 12 (systemd 252): all OK, and BROKEN only
# without the jail's /sys/kernel/security/apparmor ("setpriv: AppArmor is not running", exit 127).
set -u
here=$(cd "$(dirname "$0")" && pwd)
unit=${1:-packaging/qfence.service}
modprobe br_netfilter 2>/dev/null || :
mkdir -p /run/qfence /var/lib/qfence/lab-bisect-vm
chown 310000:310000 /var/lib/qfence/lab-bisect-vm
printf 'profile qfence-lab-bisect flags=(enforce) {\n  file,\n  network,\n  signal,\n  unix,\n  capability,\n}\n' \
    >/etc/apparmor.d/qfence-lab-bisect
apparmor_parser -r /etc/apparmor.d/qfence-lab-bisect || exit 1
grep -E '^(Protect|Private|Restrict|Lock|NoNew|Capability|Ambient|ReadWrite|RemoveIPC|SystemCall|Device|MemoryDeny)' "$unit" >/tmp/props
echo "systemd: $(systemctl --version | head -n 1); hardening of $unit:"; sed 's/^/  /' /tmp/props
n=0
broken=""
trial() { # name, a file of properties; NOMARKER from the environment
    n=$((n + 1)); name=$1; file=$2
    set --; while IFS= read -r l; do set -- "$@" -p "$l"; done <"$file"
    out=$(timeout 120 systemd-run -E "NOMARKER=${NOMARKER:-}" --quiet --wait --pipe --collect --unit="qfence-lab-bisect-$n" \
        -p KillMode=process "$@" /bin/sh "$here/jail-steps.sh" 2>&1)
    verdict=OK; echo "$out" | grep -q 'JAILQEMU rc=124' || verdict=BROKEN
    echo "TRIAL $name: $verdict :: $(echo "$out" | grep -E 'JAILFAIL|JAILLABEL|JAILQEMU rc' | tr '\n' '|' | cut -c1-400)"
    [ "$name" != all ] || [ "$verdict" = OK ] || broken=yes
}
: >/tmp/none
trial none /tmp/none
trial all /tmp/props
NOMARKER=1; trial all-without-the-apparmor-directory /tmp/props; NOMARKER=
if [ -n "$broken" ]; then
    while IFS= read -r prop; do
        key=${prop%%=*}
        grep -v "^$key=" /tmp/props >/tmp/minus; trial "all-but-$key" /tmp/minus
        echo "$prop" >/tmp/only; trial "only-$key" /tmp/only
    done </tmp/props
fi
dmesg | grep 'apparmor="DENIED"' | grep -v qfence-lab-bisect | tail -n 5
