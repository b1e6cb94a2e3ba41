# Sourced by submit.sh, plan.sh and calibrate.sh before they queue anything: refuses
# (exit status 2) jobs that ask for more CPUs per task than any node of the
# partition has, since Slurm would leave them pending forever.
#
# Every job script asks for --cpus-per-task=2, so it runs on a 2-CPU node with its
# defaults; SBATCH_ARGS overrides that for every job (e.g. "--cpus-per-task=8" on
# larger nodes: results do not depend on it, only the time does).
#
#   check_cpus PROGRAM SCRIPT...

# The CPUs per task the scripts ask for, SBATCH_ARGS's own if it gives some.
requested_cpus() {
    local want=1 n s words i
    for s in "$@"; do
        n=$(sed -n 's/^#SBATCH --cpus-per-task=\([0-9][0-9]*\).*/\1/p' "$s" | head -n 1)
        if [ -n "$n" ] && [ "$n" -gt "$want" ]; then want=$n; fi
    done
    # shellcheck disable=SC2206
    words=(${SBATCH_ARGS:-})
    for ((i = 0; i < ${#words[@]}; i++)); do
        case ${words[i]} in
        --cpus-per-task=*) want=${words[i]#*=} ;;
        -c?*) want=${words[i]#-c} ;;
        --cpus-per-task | -c) want=${words[i + 1]:-$want} ;;
        esac
    done
    echo "$want"
}

# The partition SBATCH_ARGS names, if any.
requested_partition() {
    local words i part=""
    # shellcheck disable=SC2206
    words=(${SBATCH_ARGS:-})
    for ((i = 0; i < ${#words[@]}; i++)); do
        case ${words[i]} in
        --partition=*) part=${words[i]#*=} ;;
        -p?*) part=${words[i]#-p} ;;
        --partition | -p) part=${words[i + 1]:-} ;;
        esac
    done
    echo "$part"
}

check_cpus() {
    local prog=$1 want part most
    shift
    want=$(requested_cpus "$@")
    part=$(requested_partition)
    case $want in '' | *[!0-9]*)
        echo "$prog: --cpus-per-task must be a whole number, found '$want'" >&2
        exit 2
        ;;
    esac
    # the largest node's CPUs (sinfo -N: one line per node); without sinfo, sbatch
    # itself will say what is wrong
    most=$(sinfo -h -N ${part:+-p "$part"} -o '%c' 2>/dev/null | tr -dc '0-9\n' | sort -n | tail -n 1 || true)
    [ -n "$most" ] || return 0
    if [ "$want" -gt "$most" ]; then
        echo "$prog: the jobs ask for $want CPUs per task, but the largest node${part:+ of partition $part} has $most: they would pend forever; pass SBATCH_ARGS=\"--cpus-per-task=$most\" (results do not depend on it)" >&2
        exit 2
    fi
}
