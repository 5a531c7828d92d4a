# Shared by bench/run and bench/sandbox (sourced, not run): a bench run's tag, its cleanup, and the sweep of runs that
# died without cleaning up. A run's objects are named after its tag (qfence-bench-ID): network namespaces TAG-*,
# cgroup subtrees /sys/fs/cgroup/CONTROLLER/TAG. Every run registers itself in $registry (TAG.pid), so that what a run
# killed outright (SIGKILL, a lost session) left behind is removed by the next run.
# shellcheck shell=bash

controllers="blkio cpu memory pids"
registry=/run/qfence-bench

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

remove_run_objects() { # TAG: the namespaces and cgroup subtrees of one run, and the processes in those cgroups
    local t=$1 n c d p i
    # the guests qfence started in the run's cgroups (QEMU outlives the qfence that started it): by PID, from the
    # run's own cgroup subtree, so nothing else can be hit
    for p in $(for c in $controllers; do d="/sys/fs/cgroup/$c/$t"; [ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} +; done | sort -u); do
        log "ending pid $p, left in the run's cgroups: $(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-80)"
        kill -KILL "$p" 2>/dev/null || true
    done
    for n in $(ip netns list | awk '{print $1}' | grep -E "^$t-" || true); do
        ip netns del "$n" 2>/dev/null || true
    done
    for c in $controllers; do
        d="/sys/fs/cgroup/$c/$t"
        for i in 1 2 3 4 5 6 7 8 9 10; do   # a killed process leaves its cgroup only once it has exited
            [ -d "$d" ] || break
            find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || sleep 1
        done
    done
}

sweep_dead_runs() {
    local f pid t
    mkdir -p "$registry"
    for f in "$registry"/qfence-bench-*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null || echo 0)
        t=$(basename "$f" .pid)
        if [ "$pid" -gt 0 ] 2>/dev/null && kill -0 "$pid" 2>/dev/null \
                && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qE 'bench/(run|sandbox)'; then
            continue   # still running
        fi
        log "removing what a bench run that died left behind: $t"
        remove_run_objects "$t"
        rm -f "$f"
    done
}

descendants() { # PID: the processes it started, children before parents
    local p
    for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        descendants "$p"
        echo "$p"
    done
}

bench_cleanup() {
    set +e
    trap - EXIT INT TERM HUP
    local p
    for p in $(descendants $$); do kill "$p" 2>/dev/null; done
    remove_run_objects "$bench_tag"
    rm -f "$registry/$bench_tag.pid"
    if declare -F on_cleanup >/dev/null; then on_cleanup; fi
}

# bench_register TAG: from here on, whatever way this shell ends (exit, error, Ctrl-C, SIGTERM, SIGHUP), the processes
# it started are ended by PID and the run's namespaces and cgroups are removed. Bench Java code names its scratch
# namespaces after $QFENCE_BENCH_TAG (ScratchNamespace), so they are found too.
bench_register() {
    bench_tag=$1
    trap bench_cleanup EXIT
    trap 'log "interrupted"; exit 130' INT
    trap 'log "terminated"; exit 143' TERM HUP
    sweep_dead_runs
    echo $$ > "$registry/$bench_tag.pid"
    export QFENCE_BENCH_TAG=$bench_tag
}
