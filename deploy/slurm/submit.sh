#!/bin/bash
# Submits a sharded workwell run to Slurm: an array job of TASKS shards, then the
# merge, chained with --dependency=afterok so the merge runs only if every shard
# succeeded.
#
#   deploy/slurm/submit.sh SCENARIO TASKS SHARD_DIR OUT [workwell run arguments...]
#   deploy/slurm/submit.sh scenarios/national.toml 10 $PWD/shards $PWD/outputs/national --replications 1000
#
# Environment: WORKWELL (the binary; default `workwell` on PATH), SBATCH_ARGS (extra
# sbatch options for both jobs, e.g. "--partition=compute --account=myproj").
# Both jobs ask for 2 CPUs (--cpus-per-task=2), so they run on 2-CPU nodes; larger
# nodes: SBATCH_ARGS="--cpus-per-task=8". Jobs asking for more CPUs than any node of
# the partition has are refused here (exit status 2) rather than left pending.
# Paths must be readable and writable from every node (a shared file system).
# Prints the two job ids. To rerun a failed task i alone, with the same variables:
#   SHARDS=TASKS SCENARIO=... SHARD_DIR=... WORKWELL_ARGS="..." sbatch --array=i --export=ALL deploy/slurm/array.sbatch
# then submit merge.sbatch (SHARD_DIR, OUT) after it.
set -euo pipefail
if [ $# -lt 4 ]; then
    sed -n '2,16p' "$0" >&2
    exit 2
fi
SCENARIO=$1 TASKS=$2 SHARD_DIR=$3 OUT=$4
shift 4
HERE=$(cd "$(dirname "$0")" && pwd)
WORKWELL=${WORKWELL:-workwell}
case $TASKS in '' | *[!0-9]* | 0)
    echo "submit.sh: TASKS must be a whole number of at least 1, found '$TASKS'" >&2
    exit 2
    ;;
esac
mkdir -p "$SHARD_DIR"
if compgen -G "$SHARD_DIR/*.wwshard" >/dev/null; then
    echo "submit.sh: $SHARD_DIR already holds shard files (of an earlier run?); remove them or choose another folder" >&2
    exit 2
fi
# check the scenario and the CPUs asked for before queueing anything
"$WORKWELL" validate "$SCENARIO" >/dev/null
# shellcheck source=resources.sh
. "$HERE/resources.sh"
check_cpus submit.sh "$HERE/array.sbatch" "$HERE/merge.sbatch"

SHARDS=$TASKS
export SCENARIO SHARD_DIR OUT WORKWELL SHARDS
export WORKWELL_ARGS="$*"
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array=0-$((TASKS - 1)) \
    --export=ALL "$HERE/array.sbatch")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency=afterok:"$array" \
    --kill-on-invalid-dep=yes --export=ALL "$HERE/merge.sbatch")
merge=${merge%%;*}
echo "array job $array ($TASKS tasks), merge job $merge (after $array succeeds)"
echo "$array $merge" >"$SHARD_DIR/.jobs"
