#!/usr/bin/env bash
# Runs every command on the shipped scenarios and prints the SHA-256 of every CSV,
# JSON, TOML and XLSX file they write (HTML and SVG are left out: their markup may
# change without their content changing). A refactoring that must not change outputs
# is checked by comparing this list before and after:
#
#   scripts/golden-outputs.sh > /tmp/before.sha256   # on the old commit
#   scripts/golden-outputs.sh | diff /tmp/before.sha256 -
#
# Uses target/release/workwell (built first); takes about two minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
W=$PWD/target/release/workwell
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
q() { "$W" "$@" --quiet >/dev/null; }
q run scenarios/baseline.toml -r 20 --out "$OUT/run-baseline"
q run scenarios/calibrated.toml -r 20 --out "$OUT/run-calibrated" --observed data/observed/mi_2025-11.csv
q run scenarios/rollout.toml -r 8 --out "$OUT/run-rollout" --group-by footprint_2026
for f in trailblazers slow_recruitment extension national; do
    q run "scenarios/$f.toml" -r 8 --out "$OUT/run-$f"
done
for k in 1 2; do q run scenarios/calibrated.toml -r 20 --shard "$k/2" --shard-dir "$OUT/shards"; done
q merge "$OUT/shards" --out "$OUT/merged"
q compare scenarios/baseline.toml scenarios/trailblazers.toml -r 10 --out "$OUT/compare"
q compare scenarios/calibrated.toml --what-if 'areas."Black Country".coach.fte=+5' -r 10 --out "$OUT/what-if"
q sweep scenarios/baseline.toml --lhs 4 -r 4 --out "$OUT/sweep"
q plan scenarios/calibrated.toml -r 8 --out "$OUT/plan"
for k in 1 2; do q plan scenarios/calibrated.toml -r 8 --shard "$k/2" --shard-dir "$OUT/plan-shards"; done
q merge "$OUT"/plan-shards/*.wwplan --out "$OUT/plan-merged"
q calibrate scenarios/baseline.toml --observed data/observed/mi_2025-11.csv -r 8 --points 32 --samples 100 --out "$OUT/calibrate"
(cd "$OUT" && find . -type f \( -name '*.csv' -o -name '*.json' -o -name '*.toml' -o -name '*.xlsx' \) \
    -not -path './shards/*' -not -path './plan-shards/*' | LC_ALL=C sort | xargs sha256sum)
