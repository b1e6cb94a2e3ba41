#!/bin/bash
# Submits a workwell plan split by area to Slurm: an array job of TASKS shares of
# the areas (plan.sbatch), then the merge (merge.sbatch), chained with
# --dependency=afterok so the merge runs only if every share succeeded. The merged
# output folder is byte for byte what an unsharded `workwell plan` writes.
#
#   deploy/slurm/plan.sh SCENARIO TASKS SHARD_DIR OUT [workwell plan arguments...]
#   deploy/slurm/plan.sh scenarios/baseline.toml 5 $PWD/plan-shards $PWD/outputs/plan-baseline --replications 40
#
# Environment: WORKWELL (the binary; default `workwell` on PATH), SBATCH_ARGS (extra
# sbatch options for both jobs, e.g. "--partition=compute --account=myproj").
# Paths must be readable and writable from every node (a shared file system).
# TASKS may not exceed the areas planned (a share would be empty). Both jobs ask for
# 2 CPUs, so they run on 2-CPU nodes; larger nodes: SBATCH_ARGS="--cpus-per-task=8".
# Jobs asking for more CPUs than any node has are refused here (exit status 2).
set -euo pipefail
if [ $# -lt 4 ]; then
    sed -n '2,15p' "$0" >&2
    exit 2
fi
SCENARIO=$1 TASKS=$2 SHARD_DIR=$3 OUT=$4
shift 4
HERE=$(cd "$(dirname "$0")" && pwd)
WORKWELL=${WORKWELL:-workwell}
case $TASKS in '' | *[!0-9]* | 0)
    echo "plan.sh: TASKS must be a whole number of at least 1, found '$TASKS'" >&2
    exit 2
    ;;
esac
mkdir -p "$SHARD_DIR"
if compgen -G "$SHARD_DIR/*.wwplan" >/dev/null; then
    echo "plan.sh: $SHARD_DIR already holds plan shard files (of an earlier plan?); remove them or choose another folder" >&2
    exit 2
fi
# check the scenario and the CPUs asked for before queueing anything
"$WORKWELL" validate "$SCENARIO" >/dev/null
# shellcheck source=resources.sh
. "$HERE/resources.sh"
check_cpus plan.sh "$HERE/plan.sbatch" "$HERE/merge.sbatch"

SHARDS=$TASKS
export SCENARIO SHARD_DIR OUT WORKWELL SHARDS
export WORKWELL_ARGS="$*"
# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_ARGS:-} --array=0-$((TASKS - 1)) \
    --export=ALL "$HERE/plan.sbatch")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} --dependency=afterok:"$array" \
    --kill-on-invalid-dep=yes --export=ALL "$HERE/merge.sbatch")
merge=${merge%%;*}
echo "plan array job $array ($TASKS tasks), merge job $merge (after $array succeeds)"
echo "$array $merge" >"$SHARD_DIR/.jobs"
