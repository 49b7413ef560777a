#!/usr/bin/env bash
# demo.sh: the main job.  Installs what is missing, builds, runs the default
# ablation (small versions of experiments 1-5, about 10 minutes on 2 cores),
# writes every figure, and prints where they are with a one-screen summary.
#
#   scripts/demo.sh           the default ablation    -> results/, figures/
#   scripts/demo.sh --full    the paper-size versions -> results/full/, figures/full/
#
# Re-running resumes: finished sweep cells are kept, unfinished ones redone
# (failed ones too).  MUON_BUILD=DIR builds and runs in DIR (default build);
# MUON_JOBS=N runs N cells at a time (default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
case "${1:-}" in
    "") ;;
    --full) full=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "usage: scripts/demo.sh [--full]" >&2; exit 2 ;;
esac

build=${MUON_BUILD:-build}
scripts/setup.sh "$build"
muonlab=$build/src/cli/muonlab
if ((full)); then
    specs=experiments/full
    results=results/full
    figures=figures/full
else
    specs=experiments
    results=results
    figures=figures
fi
mkdir -p "$results" "$figures"
jobs=${MUON_JOBS:-$(nproc 2>/dev/null || echo 2)}

t_start=$(date +%s)
failed=0

# real-spread (experiment 2 on a real matrix) reads the Muon momentum of the
# hidden layer of a short Fashion-MNIST MLP run (the path named in its
# spec): made once, kept across re-runs (delete $results/grads to redo).
grads=$results/grads
if [ ! -d "$grads" ] && [ -f "$specs/real-spread.json" ]; then
    if ((full)); then epochs=10; else epochs=1; fi
    echo "== gradients for real-spread: MLP on Fashion-MNIST, $epochs epoch(s) -> $grads"
    t0=$(date +%s)
    rm -rf "$grads.tmp"
    if OPENBLAS_NUM_THREADS=1 "$muonlab" train --epochs "$epochs" --save-grads \
            --progress none --force --out "$results/grads-run" \
            > "$results/grads-run.log" 2>&1 &&
        cp -r "$results/grads-run/grads" "$grads.tmp" && mv "$grads.tmp" "$grads"; then
        echo "   $(ls "$grads" | tr '\n' ' ')($(( $(date +%s) - t0 )) s)"
    else
        echo "   training failed: see $results/grads-run.log"
        failed=1
    fi
fi

for name in scalar-maps spread spread-steps real-spread throughput convergence-mlp \
            convergence-cnn convergence-gpt convergence-synthetic lr-transfer coeffs; do
    spec="$specs/$name.json"
    [ -f "$spec" ] || continue
    if [ "$name" = real-spread ] && [ ! -d "$grads" ]; then
        echo "== $name: skipped (no $grads)"
        continue
    fi
    echo "== $name ($spec)"
    t0=$(date +%s)
    # Timings run one cell at a time with every core; the other sweeps run
    # one single-threaded cell per core (more cells than BLAS threads
    # would only oversubscribe the cores; oneDNN's OpenMP threads spin
    # between products and, oversubscribed, slow a run by up to 50x).
    if [ "$name" = throughput ]; then
        run=(env "$muonlab" sweep "$spec" --jobs 1)
    else
        run=(env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$muonlab" sweep \
             "$spec" --jobs "$jobs")
    fi
    if ! "${run[@]}" --resume-failed --out "$results/$name" \
            > "$results/$name.log" 2>&1; then
        # Exit 4 is a numerical failure (non-finite output or loss): a
        # result that the figures draw and count, not a broken run.
        nfail=$(grep -c '^  failed: cell-' "$results/$name.log" || true)
        nnum=$(grep -c '^  failed: cell-.*(exit 4)' "$results/$name.log" || true)
        if [ "$nfail" -gt 0 ] && [ "$nfail" = "$nnum" ]; then
            echo "   $nnum cells diverged (non-finite output; shown in the figure)"
        else
            echo "   some cells failed: see $results/$name.log"
            failed=1
        fi
    fi
    echo "   $(grep -E '^sweep [^ ]+: [0-9]+ ok' "$results/$name.log" | tail -n 1)  ($(( $(date +%s) - t0 )) s)"
done

echo "== figures"
"$muonlab" plot --results "$results" --out "$figures" --format pdf,png

echo
echo "== summary"
MUONLAB=$muonlab scripts/summary.sh "$results"
echo
echo "results: $results/*/results.csv   figures: $figures/*.{pdf,png}"
echo "total: $(( $(date +%s) - t_start )) s"
exit $failed
