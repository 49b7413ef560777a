#!/usr/bin/env bash
# test.sh: all set-up, then every test: the Check unit suites and the verify
# programs in a warnings-as-errors build, then the unit suites again under
# AddressSanitizer + UndefinedBehaviorSanitizer.  Ends with the plain line
# "N passed, N failed" counting individual checks, and exits non-zero on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh build >/dev/null || exit 1

status=0
# Warnings are errors here (CI), not in the user's build.
# --reconfigure: test files are picked up at configure time.
meson setup build-test --buildtype=debugoptimized -Dwerror=true \
    $( [ -f build-test/build.ninja ] && echo --reconfigure ) >/dev/null \
    || exit 1
meson compile -C build-test >/dev/null || { echo "build failed"; \
    meson compile -C build-test 2>&1 | tail -40; echo "0 passed, 1 failed"; \
    exit 1; }
meson test -C build-test --suite unit --suite verify --print-errorlogs \
    --num-processes 1 || status=1

meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined \
    -Db_lundef=false \
    -Dc_args="-fno-sanitize-recover=all -fsanitize=float-divide-by-zero" \
    $( [ -f build-asan/build.ninja ] && echo --reconfigure ) >/dev/null \
    || exit 1
meson compile -C build-asan >/dev/null || { echo "asan build failed"; \
    echo "0 passed, 1 failed"; exit 1; }
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs \
    --num-processes 1 || status=1

# Count individual checks from both runs: Check's "Checks: N, Failures: F,
# Errors: E" lines and the verify programs' "N passed, N failed" lines; a
# test executable that crashed before reporting counts as one failure.
python3 scripts/count_results.py build-test/meson-logs/testlog.json \
    build-asan/meson-logs/testlog.json || status=1
exit $status
