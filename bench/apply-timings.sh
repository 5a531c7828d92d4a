#!/bin/sh
# Times `apply` and a no-op `plan` of the bundled desired state (network, firewall, cgroups; no guests) through
# bin/qfence, in a fresh network namespace and a cgroup parent of its own, both removed afterwards. Each command is a
# new JVM (what an operator runs). Usage, as root: bench/apply-timings.sh [ROUNDS]
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
rounds=${1:-3}
id=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
ns="qfence-test-bench-$id"
dir=$(mktemp -d "${TMPDIR:-/tmp}/qfence-bench.XXXXXX")

cleanup() {
    ip netns del "$ns" 2>/dev/null || true
    for d in /sys/fs/cgroup/"$ns" /sys/fs/cgroup/*/"$ns"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    rm -rf "$dir"
}
trap cleanup EXIT

bin/qfence validate >/dev/null 2>&1 || true   # builds the jar and its class-data archive first, outside the timings

ms() { date +%s%3N; }
timed() {
    label=$1
    shift
    t0=$(ms)
    set +e
    bin/qfence --netns "$ns" --cgroup-parent "$ns" --state-dir "$dir/state" --run-dir "$dir/run" "$@" >"$dir/out" 2>&1
    rc=$?
    set -e
    t1=$(ms)
    printf '%-28s exit %d  %6d ms   %s\n' "$label" "$rc" $((t1 - t0)) "$(grep -E '^Apply complete|^No changes|^Plan:' "$dir/out" | head -n 1)"
}

for r in $(seq 1 "$rounds"); do
    ip netns add "$ns"
    timed "apply (fresh namespace)" apply --auto-approve --no-guests
    timed "plan (no-op)" plan --no-guests
    timed "plan (no-op, again)" plan --no-guests
    ip netns del "$ns"
    for d in /sys/fs/cgroup/"$ns" /sys/fs/cgroup/*/"$ns"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    rm -rf "$dir/state"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
