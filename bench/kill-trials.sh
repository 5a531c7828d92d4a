#!/bin/sh
# The full SIGKILL trials of the guest phase (issue 22): `qfence apply` killed at every progress event of a five-guest
# start (and at a random offset after each), then one apply must converge; and kills while guests are being stopped.
# Each trial is checked from outside qfence (/proc, nft, the cgroup file system, QMP). Runs GuestKillTrialsTest with
# -Dqfence.killTrials=full in a private namespace and cgroup subtree of its own; takes 10 to 30 minutes on 2 cores.
# Usage, as root: bench/kill-trials.sh   (results: target/kill-trials.txt, appended to bench/results/kill-trials-DATE.txt)
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
rm -f target/kill-trials.txt
start=$(date +%s)
QFENCE_TEST_STRICT=1 mvn -B -q -o test -Dtest=GuestKillTrialsTest -Dsurefire.failIfNoSpecifiedTests=false -Dqfence.killTrials=full
end=$(date +%s)
out="bench/results/kill-trials-$(date -u +%Y%m%d-%H%M).txt"
mkdir -p bench/results
{
    cat target/kill-trials.txt
    echo "took $((end - start)) s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
