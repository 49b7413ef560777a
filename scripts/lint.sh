#!/usr/bin/env bash
# lint.sh: source-level promises that no compiler flag checks.  Prints
# PASS/FAIL lines and "N passed, N failed"; exit 1 on any failure.
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0
check() { # check "claim" command...: the claim holds when the command prints nothing
    local claim=$1; shift
    local out; out=$("$@" 2>/dev/null)
    if [ -z "$out" ]; then echo "PASS: $claim"; pass=$((pass + 1))
    else echo "FAIL: $claim:"; echo "$out" | head -5; fail=$((fail + 1)); fi
}
# The library never exits or aborts: the tools decide (STYLE.md, Errors).
check "no exit()/abort() in src/lib" \
    grep -rnE '\b(exit|abort|_Exit)\s*\(' src/lib --include=*.c
# Output always uses '.' as the decimal point (FAULTS.md A, locale).
check "no setlocale call anywhere" grep -rn --include=*.c --include=*.h 'setlocale' src tests verify
# GSL's CBLAS header clashes with OpenBLAS's and links the slow reference
# BLAS (PITFALLS.md 5).
check "no gsl_blas.h / gsl_cblas.h" \
    grep -rnE '#include <gsl/gsl_(c)?blas\.h>' src tests verify
# GSL's default handler aborts (PITFALLS.md 6): every main turns it off.
check "every main() calls gsl_set_error_handler_off" bash -c '
    for f in $(grep -lE "^main\(|int main\(" src/cli/muonlab.c tests/*.c verify/*.c benchmarks/*.c 2>/dev/null); do
        grep -qE "gsl_set_error_handler_off|test_run_suite" "$f" || echo "$f"
    done'
# The environment's GSL_RNG_* variables must not change a run silently.
check "no gsl_rng_env_setup" grep -rn 'gsl_rng_env_setup' src
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
