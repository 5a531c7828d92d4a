#!/bin/sh
# A shell copy of the guest jail's system calls (platform.os.Jail, LaunchChain.JAILED_SCRIPT; DESIGN.md §9), for
# bisecting a unit's hardening in the lab (unit-hardening-bisect.sh runs it under systemd-run -p ...): unshare of
# mnt/pid/ipc/uts, every mount private, a tmpfs over /run/qfence (the runDir's parent, the jail's mount point), bind
# mounts remounted ro/nosuid/nodev/noexec, the root remounted read-only, pivot_root, a /proc with hidepid and
# subset=pid, the host's root detached, then setpriv to an unprivileged uid with no_new_privs into an AppArmor profile
# and QEMU under -sandbox. Prints JAILFAIL with the failing step and its message, or JAILQEMU rc=124 when QEMU ran
# until its timeout (the good case). NOMARKER=1 leaves out the jail's /sys/kernel/security/apparmor (GuestJail).
src=/var/lib/qfence/lab-bisect-vm
exec unshare --mount --pid --ipc --uts --fork --propagation private /bin/sh -c '
r=/run/qfence; src=$1
step() { out=$("$@" 2>&1); rc=$?; if [ $rc -ne 0 ]; then echo "JAILFAIL at: $* -> rc=$rc $out"; exit 1; fi; }
step mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev,noexec tmpfs "$r"
step mkdir "$r/usr" "$r/dev" "$r/vm" "$r/proc" "$r/.qfence-host-root"
step mount --bind /usr "$r/usr"
step mount -o remount,bind,ro,nosuid "$r/usr"
for l in bin lib lib64 sbin; do step ln -s "usr/$l" "$r/$l"; done
for d in null zero urandom; do
  step touch "$r/dev/$d"; step mount --bind "/dev/$d" "$r/dev/$d"; step mount -o remount,bind,ro,nosuid,noexec "$r/dev/$d"
done
step mount --bind "$src" "$r/vm"
step mount -o remount,bind,nosuid,nodev,noexec "$r/vm"
[ -n "${NOMARKER:-}" ] || step mkdir -p "$r/sys/kernel/security/apparmor"
step mount -o remount,ro,nosuid,nodev,noexec "$r"
cd "$r" || exit 1
step pivot_root . .qfence-host-root
cd / || exit 1
step mount -n -t proc -o nosuid,nodev,noexec,hidepid=invisible,subset=pid proc /proc
step umount -l /.qfence-host-root
drop="setpriv --reuid 310000 --regid 310000 --clear-groups --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all --apparmor-profile qfence-lab-bisect --"
$drop /bin/cat /proc/self/attr/current 2>&1 | sed "s/^/JAILLABEL /"
$drop /usr/bin/timeout 6 /usr/bin/qemu-system-x86_64 -accel tcg -machine q35 -nodefaults -display none -S -no-user-config \
  -qmp unix:/vm/qmp.sock,server=on,wait=off -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny \
  </dev/null >/vm/qemu.out 2>&1
echo "JAILQEMU rc=$?"; sed "s/^/JAILQEMU /" /vm/qemu.out
' sh "$src"
