#!/usr/bin/env bash
# Re-measures every figure of the table in BENCHMARKS.md, in one session on this
# machine, and prints them with the date, the commit and the load average.
#
#   benches/table.sh            # about 25 minutes on 2 idle cores
#   OUT=/tmp/t benches/table.sh # where the outputs and timings go (default below)
#
# Wall times are the median of several runs (the count is printed); comparisons are
# paired: both sides run alternately in the same minutes (1 and 2 threads; the
# engine and the lean loop; workwell and SimPy; a run with and without its workbook).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/workwell-table}
mkdir -p "$OUT"
BIN=target/release/workwell

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
load() { cut -d' ' -f1-3 /proc/loadavg; }

cargo build --release --quiet --bin workwell --example serve_click_to_report

# one timed run: wall seconds, CPU seconds and peak KB into $OUT/NAME.time
timed() {
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
}
# the median of a list of numbers
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# runs NAME N times (fresh output folder each time); prints median wall, median CPU, max peak MB
repeat() {
  local name=$1 n=$2
  shift 2
  : >"$OUT/$name.all"
  local i
  for i in $(seq "$n"); do
    rm -rf "$OUT/o-$name"
    timed "$name" "$@" --out "$OUT/o-$name"
    cat "$OUT/$name.time" >>"$OUT/$name.all"
  done
  local wall cpu peak
  wall=$(awk '{print $1}' "$OUT/$name.all" | median)
  cpu=$(awk '{print $2+$3}' "$OUT/$name.all" | median)
  peak=$(awk '{print $4}' "$OUT/$name.all" | sort -g | tail -1)
  printf '%-28s wall %7.2f s  cpu %7.2f s  peak %6.0f MB  (median of %d; load %s)\n' \
    "$name" "$wall" "$cpu" "$((peak / 1024))" "$n" "$(load)"
}
# a Criterion bench's printed time and throughput lines
criterion() {
  local bench=$1
  shift
  cargo bench --quiet --bench "$bench" -- "$@" 2>/dev/null | grep -E '^[a-z][a-z_/0-9]*( |$)|time:|thrpt:' |
    sed "s/^/  [$bench] /"
  echo "  (load $(load))"
}

echo "== the engine"
criterion engine erlang_a
python3 benches/lean/pair.py --pairs 8 | tail -7

echo "== against SimPy (paired, alternating)"
python3 benches/simpy/compare.py | grep -E 'workwell / SimPy|^workwell \(Rust\)|^SimPy'

echo "== one replication"
criterion baseline

echo "== 1,000 baseline replications, 2 and 1 threads, alternating"
for i in 1 2 3; do
  repeat "r1000-t2-$i" 1 "$BIN" run scenarios/baseline.toml -r 1000 -t 2 -q
  repeat "r1000-t1-$i" 1 "$BIN" run scenarios/baseline.toml -r 1000 -t 1 -q
done
for t in 1 2; do
  printf 'r1000 -t %s median wall: %s s\n' "$t" "$(cat "$OUT"/r1000-t"$t"-*.time | awk '{print $1}' | median)"
done

echo "== planning"
repeat plan-baseline 3 "$BIN" plan scenarios/baseline.toml -q
repeat plan-calibrated 3 "$BIN" plan scenarios/calibrated.toml -q
repeat plan-budget 1 "$BIN" plan scenarios/baseline.toml --budget 26000000 -q

echo "== the workbook (paired in one process)"
criterion workbook

echo "== calibration"
repeat calibrate-national 3 "$BIN" calibrate scenarios/baseline.toml --observed data/observed/mi_2025-11.csv -q
criterion calibrate baseline_five_areas_two_dates
repeat calibrate-rollout 1 "$BIN" calibrate scenarios/rollout.toml --observed data/observed/synthetic/rollout_2027-09.csv -q

echo "== the national roll-out"
repeat rollout-100 1 "$BIN" run scenarios/rollout.toml -q

echo "== the web front end (click Run to report shown; 100 replications of calibrated)"
cargo run --release --quiet --example serve_click_to_report -- calibrated 100 7 2>&1 | tail -4

echo "== clean debug builds: the simulation core alone (no default features), and everything"
for what in core all; do
  dir="$OUT/build-$what"
  rm -rf "$dir"
  if [ "$what" = core ]; then args=(--no-default-features --lib); else args=(); fi
  s=$(date +%s.%N)
  CARGO_TARGET_DIR="$dir" cargo build --quiet "${args[@]}"
  printf 'clean build %-4s %6.1f s (load %s)\n' "$what" "$(echo "$(date +%s.%N) - $s" | bc)" "$(load)"
done
echo "done: outputs and timings in $OUT"
