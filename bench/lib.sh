# Shared by bench/run and bench/sandbox (sourced, not run): a bench run's tag, its cgroup subtree on either cgroup
# layout, its cleanup, and the sweep of runs that died without cleaning up. A run's objects are named after its tag
# (qfence-bench-ID): network namespaces TAG-*, the cgroup subtree TAG (v1: /sys/fs/cgroup/CONTROLLER/TAG in each
# controller's hierarchy; v2: /sys/fs/cgroup/TAG in the unified hierarchy). Every run registers itself in $registry
# (TAG.pid), so that what a run killed outright (SIGKILL, a lost session) left behind is removed by the next run.
# shellcheck shell=bash

cgroup_root=/sys/fs/cgroup
registry=/run/qfence-bench

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# The cgroup layout, as the kernel says with the file system type of the root (statfs(2)): cgroup2fs is the unified
# v2 hierarchy (Debian 12, Ubuntu 22.04+, Fedora, RHEL 9); anything else (a tmpfs of v1 mounts) is v1. qfence detects
# the same from /proc/self/mountinfo (platform.cgroup.CgroupLayout); the bench's Java helpers use that detection.
if [ "$(stat -fc %T "$cgroup_root" 2>/dev/null)" = cgroup2fs ]; then
    cgroup_version=2
    controllers="cpu io memory pids"
else
    cgroup_version=1
    controllers="blkio cpu memory pids"
fi

run_cgroup_dirs() { # TAG: the directories of a run's cgroup subtree, one per v1 hierarchy or the one v2 directory
    local c
    if [ "$cgroup_version" = 2 ]; then
        echo "$cgroup_root/$1"
    else
        for c in $controllers; do echo "$cgroup_root/$c/$1"; done
    fi
}

# v2: enables in DIR's cgroup.subtree_control those of qfence's controllers that DIR has (cgroup.controllers).
enable_controllers() {
    local dir=$1 c want=""
    for c in $controllers; do
        case " $(cat "$dir/cgroup.controllers") " in *" $c "*) want="$want +$c" ;; esac
    done
    [ -z "$want" ] || echo "${want# }" > "$dir/cgroup.subtree_control"
}

# make_run_cgroup TAG: the run's cgroup parent. On v2 the controllers reach it only through the root's
# cgroup.subtree_control and its own, as a delegated parent gets them on a production host (DESIGN.md §8): both are
# enabled here (systemd alone enables only memory and pids at the root).
make_run_cgroup() {
    local d
    if [ "$cgroup_version" = 2 ]; then
        enable_controllers "$cgroup_root"
        mkdir "$cgroup_root/$1"
        enable_controllers "$cgroup_root/$1"
    else
        for d in $(run_cgroup_dirs "$1"); do mkdir "$d"; done
    fi
}

# set_run_cpu_weight TAG GUESTS: the run's parent weighs as much as GUESTS default cgroups together, as a top-level
# slice of them would: v1 cpu.shares 1024 each, v2 cpu.weight 100 each (at most 10000).
set_run_cpu_weight() {
    if [ "$cgroup_version" = 2 ]; then
        local w=$((100 * $2))
        [ "$w" -le 10000 ] || w=10000
        echo "$w" > "$cgroup_root/$1/cpu.weight"
    else
        echo $((1024 * $2)) > "$cgroup_root/cpu/$1/cpu.shares"
    fi
}

# run_cgroup_procs TAG: the processes in a run's cgroup subtree
run_cgroup_procs() {
    local d
    for d in $(run_cgroup_dirs "$1"); do
        [ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} +
    done | sort -u
}

remove_run_objects() { # TAG: the namespaces and cgroup subtrees of one run, and the processes in those cgroups
    local t=$1 n d p i
    # the guests qfence started in the run's cgroups (QEMU outlives the qfence that started it): by PID, from the
    # run's own cgroup subtree, so nothing else can be hit
    for p in $(run_cgroup_procs "$t"); do
        log "ending pid $p, left in the run's cgroups: $(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-80)"
        kill -KILL "$p" 2>/dev/null || true
    done
    for n in $(ip netns list | awk '{print $1}' | grep -E "^$t-" || true); do
        ip netns del "$n" 2>/dev/null || true
    done
    for d in $(run_cgroup_dirs "$t"); do
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
