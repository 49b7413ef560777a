#!/usr/bin/env bash
# summary.sh: the one-screen summary of the main job, computed from
# RESULTS/*/results.csv with `muonlab stats` (mean and 95% CI over seeds,
# Welch t-tests).  Experiments that have no results are skipped.
#
#   scripts/summary.sh [RESULTS]      (default results)
#
# MUONLAB=path/to/muonlab overrides the binary (default build/src/cli/muonlab).
set -uo pipefail
cd "$(dirname "$0")/.."
results=${1:-results}
m=${MUONLAB:-build/src/cli/muonlab}
[ -x "$m" ] || { echo "summary: no $m (run scripts/setup.sh)" >&2; exit 2; }

# stats FILE ARGS...: `muonlab stats --format csv` without the comment
# lines and the header, warnings dropped (they repeat what the table says).
stats() {
    local f=$1; shift
    "$m" stats "$f" --format csv "$@" 2>/dev/null | grep -v '^#' | tail -n +2
}
have() { [ -f "$results/$1/results.csv" ]; }

# ---- experiment 2: spread -----------------------------------------------
if have spread; then
    f=$results/spread/results.csv
    printf '%s\n' "Experiment 2, polar error ||O - P||_F/sqrt(k) at input cond 1e4 (fp32 | bf16)"
    for p in fp32 bf16; do
        stats "$f" --by method --metric polar_err --where "cond=10000,precision=$p" |
            awk -F, -v p=$p '{ printf "%s%s %.2g", (NR > 1 ? ", " : "  " p ": "), $1, $4 } END { print "" }'
    done
fi

# ---- experiment 2 on a real matrix: real-spread ---------------------------
if have real-spread; then
    f=$results/real-spread/results.csv
    shape=$(stats "$f" --by m,n --metric polar_err | awk -F, 'NR == 1 { print $1 "x" $2 }')
    printf '%s\n' "Experiment 2 on a real momentum matrix (${shape:-?}): polar error fp32 | bf16"
    for p in fp32 bf16; do
        stats "$f" --by method --metric polar_err --where "precision=$p" |
            awk -F, -v p=$p '{ printf "%s%s %.2g", (NR > 1 ? ", " : "  " p ": "), $1, $4 } END { print "" }'
    done
fi

# ---- experiment 3: throughput --------------------------------------------
if have throughput; then
    f=$results/throughput/results.csv
    # The largest square shape measured.
    big=$(stats "$f" --by m,n --metric gflops | awk -F, '$1 == $2 { print $1 }' | sort -g | tail -n 1)
    if [ -n "$big" ]; then
        printf '\n%s\n' "Experiment 3, throughput at ${big}x${big} (GFLOP/s, fraction of the same-shape sgemm rate)"
        stats "$f" --by method --metric gflops --where "m=$big,n=$big" > /tmp/summary.$$.g
        stats "$f" --by method --metric ratio_gemm --where "m=$big,n=$big" > /tmp/summary.$$.r
        join -t, <(cut -d, -f1,4 /tmp/summary.$$.g | sort) \
                 <(cut -d, -f1,4 /tmp/summary.$$.r | sort) |
            awk -F, '{ printf "%s%s %.1f (%.2f)", (NR > 1 ? ", " : "  "), $1, $2, $3 } END { print "" }'
        stats "$f" --by method --metric gemm_gflops --where "m=$big,n=$big" |
            awk -F, '{ s += $4; n++ } END { if (n) printf "  sgemm at the same shape: %.1f GFLOP/s\n", s / n }'
        rm -f /tmp/summary.$$.g /tmp/summary.$$.r
    fi
fi

# ---- experiment 4: convergence ----------------------------------------
printf '\n%s\n' "Experiment 4, convergence: final metric per label, mean ± 95% CI half-width (seeds)"
for dir in "$results"/convergence-*/; do
    name=$(basename "$dir")
    have "$name" || continue
    f=$results/$name/results.csv
    last=$(stats "$f" --by step --metric step | cut -d, -f1 | sort -g | tail -n 1)
    [ -n "$last" ] || continue
    # The metric: test accuracy (classification), else test loss
    # (regression), else the validation loss (text has no test split).
    metric=
    for cand in test_acc test_loss val_loss; do
        if stats "$f" --by label --metric "$cand" --where "step=$last" |
            awk -F, '$2 > 0 { ok = 1 } END { exit !ok }'; then
            metric=$cand
            break
        fi
    done
    [ -n "$metric" ] || { printf '  %s: no finite final metric\n' "$name"; continue; }
    printf '  %s: %s at step %s\n' "$name" "$metric" "$last"
    stats "$f" --by label --metric "$metric" --where "step=$last" |
        awk -F, '{ h = ($6 == "nan" || $6 == "") ? "" : sprintf("±%.2g", ($7 - $6) / 2)
                   printf "%s%s %.3g%s (%d)", (NR > 1 ? "  " : "    "), $1, $4, h, $2 }
                 END { print "" }'
    # Welch t-test of every Muon label against AdamW, on one line.
    line=
    for lab in $(stats "$f" --by label --metric "$metric" --where "step=$last" | cut -d, -f1); do
        [ "$lab" = adamw ] && continue
        line+=$(stats "$f" --metric "$metric" --where "step=$last" \
            --compare "label=$lab,label=adamw" |
            awk -F, -v lab="$lab" '{ if ($5 == "nan" || $5 == "") printf "  %s n<2", lab;
                                     else printf "  %s %+.2g p=%.2g", lab, $5, $8 }')
    done
    [ -n "$line" ] && printf '    vs adamw (diff, Welch p):%s\n' "$line"
done

# ---- experiment 5: LR transfer -------------------------------------------
if have lr-transfer; then
    f=$results/lr-transfer/results.csv
    printf '\n%s\n' "Experiment 5, LR transfer: best Muon lr (final validation loss) per width"
    stats "$f" --by scale,width,lr --metric final_loss |
        awk -F, '$4 > 0 && $6 != "nan" { k = $1 SUBSEP $2
                   if (!(k in best) || $6 < best[k]) { best[k] = $6; lr[k] = $3 }
                   if (!($1 in seen)) { seen[$1] = 1; order[++ns] = $1 }
                   if (!($2 in wseen)) { wseen[$2] = 1; ws[++nw] = $2 } }
                 END { for (i = 1; i <= ns; i++) {
                         line = sprintf("  %-16s", order[i])
                         for (j = 1; j <= nw; j++) {
                             k = order[i] SUBSEP ws[j]
                             if (k in lr) line = line sprintf(" w%s: %-7s", ws[j], lr[k])
                         }
                         print line } }'
fi

# ---- experiment 6: coefficient lists ------------------------------------
if have coeffs; then
    f=$results/coeffs/results.csv
    printf '\n%s\n' "Experiment 6, coefficient lists in training: test accuracy, mean (fp32 | bf16)"
    stats "$f" --by method,precision --metric test_acc |
        awk -F, '{ v[$1, $2] = $5; if (!($1 in s)) { s[$1] = 1; o[++n] = $1 } }
                 END { line = " "; for (i = 1; i <= n; i++)
                         line = line sprintf(" %s %.4f|%.4f", o[i], v[o[i], "fp32"], v[o[i], "bf16"])
                       print line }'
fi
exit 0
