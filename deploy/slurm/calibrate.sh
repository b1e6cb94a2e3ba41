#!/bin/bash
# Submits a workwell calibration that runs wave by wave on Slurm: a chain of steps
# (calibrate-step.sbatch), each replaying the fit and, while a wave's
# simulations are missing, submitting an array job of TASKS tasks that simulates
# them (calibrate-wave.sbatch) and the next step after it (--dependency=afterok).
# The last step writes OUT, byte for byte what `workwell calibrate` writes.
#
#   deploy/slurm/calibrate.sh SCENARIO OBSERVED TASKS WAVES OUT [calibrate arguments...]
#   deploy/slurm/calibrate.sh scenarios/baseline.toml data/observed/mi_2025-11.csv 10 $PWD/waves $PWD/outputs/calibrate-baseline
#
# Environment: WORKWELL (the binary; default `workwell` on PATH), SBATCH_ARGS (extra
# sbatch options for every job, e.g. "--partition=compute --account=myproj").
# Paths must be readable and writable from every node (a shared file system).
# Every job asks for 2 CPUs, so it runs on 2-CPU nodes; larger nodes:
# SBATCH_ARGS="--cpus-per-task=8". Jobs asking for more CPUs than any node has are
# refused here (exit status 2). Prints the first step's job id; each step logs the jobs it submitted (and
# appends them to WAVES/.jobs). If a task fails, the chain stops (the next step is
# cancelled as its dependency can never be met): resubmit the task alone
# (sbatch --array=i calibrate-wave.sbatch with the same variables), then this
# script again with the same arguments: it continues from the waves already done.
set -euo pipefail
if [ $# -lt 5 ]; then
    sed -n '2,21p' "$0" >&2
    exit 2
fi
SCENARIO=$1 OBSERVED=$2 TASKS=$3 WAVES=$4 OUT=$5
shift 5
WORKWELL_SLURM=$(cd "$(dirname "$0")" && pwd)
WORKWELL=${WORKWELL:-workwell}
case $TASKS in '' | *[!0-9]* | 0)
    echo "calibrate.sh: TASKS must be a whole number of at least 1, found '$TASKS'" >&2
    exit 2
    ;;
esac
mkdir -p "$WAVES"
# check the scenario and the CPUs asked for before queueing anything
"$WORKWELL" validate "$SCENARIO" >/dev/null
# shellcheck source=resources.sh
. "$WORKWELL_SLURM/resources.sh"
check_cpus calibrate.sh "$WORKWELL_SLURM/calibrate-step.sbatch" "$WORKWELL_SLURM/calibrate-wave.sbatch"

export SCENARIO OBSERVED TASKS WAVES OUT WORKWELL WORKWELL_SLURM
export WORKWELL_ARGS="$*"
# shellcheck disable=SC2086
step=$(sbatch --parsable ${SBATCH_ARGS:-} --export=ALL "$WORKWELL_SLURM/calibrate-step.sbatch")
step=${step%%;*}
echo "calibration step $step submitted; waves in $WAVES, outputs to $OUT"
echo "$step" >"$WAVES/.first"
