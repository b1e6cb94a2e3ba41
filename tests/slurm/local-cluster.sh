#!/bin/bash
# End-to-end test of the Slurm scripts on a real (single-node) Slurm cluster.
#
#   sudo tests/slurm/local-cluster.sh [REPLICATIONS] [TASKS]     (defaults: 40 and 4)
#
# Run as root on Debian or Ubuntu. It installs Slurm (slurmctld, slurmd, the
# clients) and munge from the distribution's packages, writes a minimal slurm.conf
# for this one node (proctrack/linuxproc, select/cons_tres, the CPUs and memory
# `slurmd -C` finds) in a scratch folder, starts munged, slurmctld and slurmd there
# (private socket, ports, state and logs; nothing in /etc is changed), submits the
# array job and the merge with deploy/slurm/submit.sh through sbatch (every script
# with its own defaults: 2 CPUs a job, after checking that jobs asking for more CPUs
# than the node has are refused before anything is queued), waits for
# them, and checks that the merged output folder equals a direct `workwell run` byte
# for byte (diff -r). Then it calibrates the baseline wave by wave with
# deploy/slurm/calibrate.sh (a chain of steps, each submitting an array job for its
# wave and the next step after it) and checks the result against a direct
# `workwell calibrate` the same way (CAL_POINTS design points per area, default 16); then it
# plans the baseline in TASKS shares of its areas with deploy/slurm/plan.sh and checks
# the merged plan against a direct `workwell plan` (PLAN_REPS replications, default 8).
# CAL_SCENARIO and CAL_OBSERVED calibrate another scenario to other figures, e.g. the
# roll-out to its ICBs' monthly figures (scenarios/rollout.toml and
# data/observed/synthetic/rollout_2027-06.csv).
# On exit, however it exits, it cancels its jobs and stops only
# the daemons it started. Not part of `cargo test` (it needs root and the package
# registry). Environment: WORKWELL (binary; default target/release/workwell, built
# if missing), KEEP=1 keeps the scratch folder, SLURM_PORT (default 6817; slurmd
# uses the next port).
set -euo pipefail

REPS=${1:-40}
TASKS=${2:-4}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SCENARIO=$REPO/scenarios/baseline.toml

say() { printf '[local-cluster] %s\n' "$*"; }
fail() {
    say "FAIL: $*"
    exit 1
}

[ "$(id -u)" = 0 ] || { echo "local-cluster.sh: run as root (it installs packages and starts daemons)" >&2; exit 2; }
# shellcheck disable=SC1091
. /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
*" debian "* | *" ubuntu "*) ;;
*) echo "local-cluster.sh: needs Debian or Ubuntu (found ${PRETTY_NAME:-unknown})" >&2; exit 2 ;;
esac

say "installing slurm-wlm and munge from the ${PRETTY_NAME} packages"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    slurm-wlm slurmctld slurmd slurm-client munge >/dev/null
say "$(slurmctld -V), munge $(dpkg-query -W -f='${Version}' munge)"

WORKWELL=${WORKWELL:-$REPO/target/release/workwell}
if [ ! -x "$WORKWELL" ]; then
    say "building $WORKWELL"
    (cd "$REPO" && cargo build --release --quiet)
fi

WORK=$(mktemp -d /tmp/workwell-slurm.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/etc" "$WORK/state/ctld" "$WORK/state/d" "$WORK/log" "$WORK/run" "$WORK/munge"
PIDS=()
JOBS=()
export SLURM_CONF=$WORK/etc/slurm.conf

cleanup() {
    local rc=$?
    set +e
    for j in "${JOBS[@]}"; do scancel "$j" 2>/dev/null; done
    # the calibration's steps and waves: every job of this private cluster is ours
    squeue -h -o %i 2>/dev/null | xargs -r scancel 2>/dev/null
    # stop only what this script started, newest first
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        kill "${PIDS[i]}" 2>/dev/null && wait "${PIDS[i]}" 2>/dev/null
    done
    if [ "${KEEP:-0}" = 1 ] || [ $rc != 0 ]; then
        say "scratch folder kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT INT TERM

# munge: a private daemon, socket and key (a copy of the installed key)
chown munge:munge "$WORK/munge"
chmod 711 "$WORK/munge"
install -o munge -g munge -m 400 /etc/munge/munge.key "$WORK/munge/munge.key"
MUNGE_SOCKET=$WORK/munge/munge.socket.2
# setpriv execs munged itself (no wrapper process), so $! is munged's own pid
setpriv --reuid=munge --regid=munge --clear-groups -- munged --foreground --force \
    --socket="$MUNGE_SOCKET" --key-file="$WORK/munge/munge.key" \
    --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
    --log-file="$WORK/munge/munged.log" >>"$WORK/munge/munged.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$MUNGE_SOCKET" ] && break; sleep 0.1; done
[ -S "$MUNGE_SOCKET" ] || fail "munged did not start: $(cat "$WORK/munge/munged.log" 2>/dev/null)"
munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET" >/dev/null ||
    fail "munge credentials do not round-trip"

HOST=$(hostname -s)
PORT=${SLURM_PORT:-6817}
# the node as slurmd sees it: CPUs, sockets, cores, threads and memory
NODE=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$HOST/")
cat >"$SLURM_CONF" <<CONF
# minimal single-node cluster for tests/slurm/local-cluster.sh
ClusterName=workwelltest
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state/ctld
SlurmdSpoolDir=$WORK/state/d
SlurmctldPidFile=$WORK/run/slurmctld.pid
SlurmdPidFile=$WORK/run/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
$NODE State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
say "node: $NODE"

slurmctld -D -f "$SLURM_CONF" >"$WORK/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >"$WORK/log/slurmd.out" 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 60); do
    state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 1
done
[ "$state" = idle ] || fail "node not idle after 60 s (state '$state'); see $WORK/log"
say "cluster up: $(sinfo -h -o '%P %D node(s) %t %c CPUs %m MB')"

SHARD_FOLDER=$WORK/shards
OUT=$WORK/merged
cd "$WORK"
# jobs asking for more CPUs than the node has are refused before anything is queued
CPUS=$(sinfo -h -N -o %c | tr -dc '0-9\n' | sort -n | tail -n 1)
set +e
refused=$(WORKWELL=$WORKWELL SBATCH_ARGS="--cpus-per-task=$((CPUS + 1))" \
    "$REPO/deploy/slurm/submit.sh" "$SCENARIO" "$TASKS" "$WORK/too-many" "$OUT" 2>&1)
rc=$?
set -e
[ $rc = 2 ] && [ -z "$(squeue -h 2>/dev/null)" ] ||
    fail "submit.sh with --cpus-per-task=$((CPUS + 1)) on $CPUS-CPU nodes: exit $rc, not 2 with nothing queued: $refused"
say "refused as it should: $refused"
started=$(date +%s)
# every script with its own defaults (2 CPUs a job)
submitted=$(WORKWELL=$WORKWELL \
    "$REPO/deploy/slurm/submit.sh" "$SCENARIO" "$TASKS" "$SHARD_FOLDER" "$OUT" --replications "$REPS")
say "$submitted"
read -r ARRAY MERGE <"$SHARD_FOLDER/.jobs"
JOBS=("$ARRAY" "$MERGE")
for _ in $(seq 1800); do
    [ -z "$(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null)" ] && break
    sleep 1
done
elapsed=$(($(date +%s) - started))
job_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' '; }
say "array job $ARRAY: $(job_state "$ARRAY")"
say "merge job $MERGE: $(job_state "$MERGE")"
job_state "$MERGE" | grep -q 'JobState=COMPLETED' || {
    cat "$WORK"/workwell-*.out 2>/dev/null
    fail "the merge job did not complete"
}
say "$(find "$SHARD_FOLDER" -name '*.wwshard' | wc -l) shard files, merged in $elapsed s from submission"

say "direct run of $REPS replications for reference"
"$WORKWELL" run "$SCENARIO" --replications "$REPS" --out "$WORK/direct" --quiet
diff -r "$WORK/direct" "$OUT" >"$WORK/diff.txt" || {
    head -20 "$WORK/diff.txt"
    fail "merged output differs from the direct run"
}
say "merged output of $TASKS array tasks equals the direct run byte for byte ($(find "$OUT" -type f | wc -l) files)"

# a task resubmitted alone (as after a node failure) rewrites its own shard only,
# and a second merge, chained on it, gives the same bytes again
say "resubmitting array task 1 alone, then the merge again"
before=$(ls "$SHARD_FOLDER")
export SCENARIO SHARD_DIR=$SHARD_FOLDER OUT=$WORK/merged-again WORKWELL SHARDS=$TASKS
export WORKWELL_ARGS="--replications $REPS"
again=$(sbatch --parsable --array=1 --export=ALL "$REPO/deploy/slurm/array.sbatch")
again=${again%%;*}
merge2=$(sbatch --parsable --dependency=afterok:"$again" --kill-on-invalid-dep=yes \
    --export=ALL "$REPO/deploy/slurm/merge.sbatch")
merge2=${merge2%%;*}
JOBS+=("$again" "$merge2")
for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$again,$merge2" 2>/dev/null)" ] && break
    sleep 1
done
job_state "$merge2" | grep -q 'JobState=COMPLETED' || fail "the second merge did not complete"
[ "$(ls "$SHARD_FOLDER")" = "$before" ] || fail "the resubmitted task changed the set of shard files"
diff -r "$WORK/direct" "$WORK/merged-again" >"$WORK/diff.txt" || fail "second merge differs from the direct run"
say "merged output of $TASKS array tasks, and again after resubmitting task 1, equals the direct run byte for byte"

# a calibration wave by wave: each step replays the fit and submits an array job for
# the next wave and itself after it; the last writes the outputs
CAL_SCENARIO=${CAL_SCENARIO:-$SCENARIO}
OBSERVED=${CAL_OBSERVED:-$REPO/data/observed/mi_2025-11.csv}
CAL_ARGS="--points ${CAL_POINTS:-16} --samples 40 --replications 10"
say "calibrating $(basename "$CAL_SCENARIO") to $(basename "$OBSERVED") wave by wave ($CAL_ARGS, $TASKS array tasks a wave)"
started=$(date +%s)
# shellcheck disable=SC2086
WORKWELL=$WORKWELL "$REPO/deploy/slurm/calibrate.sh" \
    "$CAL_SCENARIO" "$OBSERVED" "$TASKS" "$WORK/waves" "$WORK/cal-waves" $CAL_ARGS >/dev/null
idle=0
for _ in $(seq 3600); do
    # a step always submits the next jobs before it ends: the chain is over when
    # nothing is queued twice in a row
    if [ -z "$(squeue -h 2>/dev/null)" ]; then
        idle=$((idle + 1))
        [ $idle -ge 2 ] && break
    else
        idle=0
    fi
    sleep 1
done
elapsed=$(($(date +%s) - started))
grep -q '^done' "$WORK/waves/status" 2>/dev/null || {
    tail -n 5 "$WORK"/workwell-calibrate-*.out "$WORK"/workwell-wave-*.out 2>/dev/null
    fail "the calibration chain ended without its outputs (status: $(cat "$WORK/waves/status" 2>/dev/null))"
}
waves=$(wc -l <"$WORK/waves/.jobs")
say "calibrated in $waves waves of array jobs plus $((waves + 1)) steps, $elapsed s from submission"
# shellcheck disable=SC2086
"$WORKWELL" calibrate "$CAL_SCENARIO" --observed "$OBSERVED" $CAL_ARGS --out "$WORK/cal-direct" --quiet
diff -r "$WORK/cal-direct" "$WORK/cal-waves" >"$WORK/diff.txt" || {
    head -20 "$WORK/diff.txt"
    fail "the calibration by waves differs from the direct one"
}
say "calibration by $waves waves of $TASKS array tasks equals the direct calibrate byte for byte ($(find "$WORK/cal-waves" -type f | wc -l) files)"

# a plan split by area: an array job of shares of the areas, then the merge
PLAN_ARGS="--replications ${PLAN_REPS:-8}"
say "planning the baseline in $TASKS shares of its areas ($PLAN_ARGS)"
started=$(date +%s)
# shellcheck disable=SC2086
WORKWELL=$WORKWELL "$REPO/deploy/slurm/plan.sh" \
    "$SCENARIO" "$TASKS" "$WORK/plan-shards" "$WORK/plan-merged" $PLAN_ARGS >/dev/null
read -r PARRAY PMERGE <"$WORK/plan-shards/.jobs"
JOBS+=("$PARRAY" "$PMERGE")
for _ in $(seq 1800); do
    [ -z "$(squeue -h -j "$PARRAY,$PMERGE" 2>/dev/null)" ] && break
    sleep 1
done
elapsed=$(($(date +%s) - started))
job_state "$PMERGE" | grep -q 'JobState=COMPLETED' || {
    tail -n 5 "$WORK"/workwell-*.out 2>/dev/null
    fail "the plan's merge job did not complete"
}
say "planned in $(find "$WORK/plan-shards" -name '*.wwplan' | wc -l) shares, merged in $elapsed s from submission"
# shellcheck disable=SC2086
"$WORKWELL" plan "$SCENARIO" $PLAN_ARGS --out "$WORK/plan-direct" --quiet
diff -r "$WORK/plan-direct" "$WORK/plan-merged" >"$WORK/diff.txt" || {
    head -20 "$WORK/diff.txt"
    fail "the plan merged from shares differs from the direct plan"
}
say "plan merged from $TASKS array tasks equals the direct plan byte for byte ($(find "$WORK/plan-merged" -type f | wc -l) files)"
say "PASS: sharded run and merge, a resubmitted task, a calibration wave by wave and a plan in shares all equal their direct runs byte for byte"
