#!/usr/bin/env python3
"""count_results.py: sum individual checks from meson test logs.

Reads meson's testlog.json files (one JSON object per test run), counts
Check's "Checks: N, Failures: F, Errors: E" summary and the verify
programs' "N passed, N failed" lines, counts a test that failed without
either line as one failure, prints "N passed, N failed" and exits 1 if
anything failed."""
import json
import re
import sys

CHECK = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")
PLAIN = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


def main(paths):
    passed = failed = 0
    for path in paths:
        try:
            lines = open(path, encoding="utf-8", errors="replace").readlines()
        except OSError as e:
            print(f"count_results: {path}: {e}", file=sys.stderr)
            failed += 1
            continue
        for line in lines:
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
            p = f = 0
            found = False
            for m in CHECK.finditer(out):
                n, fl, er = map(int, m.groups())
                p += n - fl - er
                f += fl + er
                found = True
            # A Check suite's own summary counts its tests; a plain line
            # (verify programs, lint) is used only where there is none, so
            # that nothing is counted twice.
            if not found:
                for m in PLAIN.finditer(out):
                    p += int(m.group(1))
                    f += int(m.group(2))
                    found = True
            if not ok and f == 0:
                f += 1  # crashed, timed out or failed without a summary
                print(f"count_results: {t.get('name')}: {t.get('result')}",
                      file=sys.stderr)
            passed += p
            failed += f
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
