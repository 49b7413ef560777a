#!/usr/bin/env bash
# demo.sh: the main job.  Installs what is missing, builds, runs the default
# ablation (small versions of experiments 1-5, about 10 minutes on 2 cores),
# writes every figure, and prints where they are with a one-screen summary.
#
#   scripts/demo.sh           the default ablation    -> results/, figures/
#   scripts/demo.sh --full    the paper-size versions -> results-full/, figures-full/
#
# Re-running resumes: finished sweep cells are kept, unfinished ones redone.
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
case "${1:-}" in
    "") ;;
    --full) full=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "usage: scripts/demo.sh [--full]" >&2; exit 2 ;;
esac

scripts/setup.sh build
muonlab=build/src/cli/muonlab
if ((full)); then
    specs=experiments/full
    results=results-full
    figures=figures-full
else
    specs=experiments
    results=results
    figures=figures
fi
mkdir -p "$results" "$figures"

failed=0
for name in scalar-maps spread throughput convergence-mlp convergence-gpt \
            convergence-synthetic lr-transfer coeffs; do
    spec="$specs/$name.json"
    [ -f "$spec" ] || continue
    echo "== $name ($spec)"
    t0=$(date +%s)
    if ! "$muonlab" sweep "$spec" --jobs 2 --out "$results/$name" \
            > "$results/$name.log" 2>&1; then
        echo "   some cells failed: see $results/$name.log"
        failed=1
    fi
    echo "   $(tail -n 1 "$results/$name.log")  ($(( $(date +%s) - t0 )) s)"
done

echo "== figures"
"$muonlab" plot --results "$results" --out "$figures" --format pdf,png

echo
echo "== summary"
scripts/summary.sh "$results"
echo
echo "results: $results/*/results.csv   figures: $figures/*.{pdf,png}"
exit $failed
