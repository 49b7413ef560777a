#!/usr/bin/env python3
"""bench_torch.py: the PyTorch reference (KellerJordan's
zeropower_via_newtonschulz5, re-typed from muon.py) timed at muonlab bench's
shapes, printed as CSV rows in `muonlab bench`'s columns (impl = pytorch), so
they can be appended to its CSV:

    muonlab bench --format csv ... > out.csv
    scripts/bench_torch.py --shape 1024x4096 --precision fp32,bf16 --noheader >> out.csv

With --pair MUONLAB it instead alternates, shape by shape, R rounds of the
reference (in this process) with `MUONLAB bench` at the same shape, and
prints each round's speed-up (reference median time / muonlab median time,
the same flops on both sides) and their median: rounds a few seconds apart
see the same machine load, where two separate runs minutes apart may not.
torch fp32 is paired with muonlab fp32, torch bf16 with native bf16 (bf16n).
torch runs on every online CPU (--threads), as muonlab does: its own default
here is one thread.  fp32 products go through OpenBLAS, whose own threads
fight torch's on 2 vCPUs (fp32 is faster with --threads 1 there); bf16 ones
through oneDNN:

    scripts/bench_torch.py --pair build/src/cli/muonlab --backend onednn \
        --shape 512x512,1024x1024 --precision bf16 --rounds 9

Exits 0 with a message on stderr when torch is not installed (Debian:
apt-get install python3-torch); the tests never need it.
"""
import argparse
import csv
import io
import os
import resource
import statistics
import subprocess
import sys
import time

COLS = ["impl", "method", "backend", "precision", "m", "n", "batch",
        "threads", "steps", "reps", "time_s", "time_q1_s", "time_q3_s",
        "flops", "gflops", "gemm_gflops", "ratio_gemm", "gemm_big_gflops",
        "ratio_gemm_big", "bw_gbs", "min_time_bw_s", "peak_rss_mb",
        "time_min_s", "ratio_gemm_best", "ratio_gemm_big_best"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shape", default="512x2048,1024x1024,1024x4096,2048x2048")
    ap.add_argument("--precision", default="fp32,bf16")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--noheader", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="torch's threads (default: every online CPU, as "
                    "muonlab uses; torch's own default can be fewer)")
    ap.add_argument("--pair", metavar="MUONLAB",
                    help="alternate with this muonlab binary (see above)")
    ap.add_argument("--backend", default="onednn",
                    help="muonlab's backend with --pair (default onednn)")
    ap.add_argument("--rounds", type=int, default=9,
                    help="alternations per shape with --pair (default 9)")
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("bench_torch.py: torch is not installed (apt-get install "
              "python3-torch); no reference rows", file=sys.stderr)
        return 0
    torch.set_num_threads(a.threads)

    def ns5(G, steps, dtype):
        # KellerJordan/Muon zeropower_via_newtonschulz5, op for op.
        a, b, c = (3.4445, -4.7750, 2.0315)
        X = G.to(dtype)
        if G.size(-2) > G.size(-1):
            X = X.mT
        X = X / (X.norm(dim=(-2, -1), keepdim=True) + 1e-7)
        for _ in range(steps):
            A = X @ X.mT
            B = b * A + c * A @ A
            X = a * X + B @ X
        if G.size(-2) > G.size(-1):
            X = X.mT
        return X

    def timed(fn, reps):
        fn()
        t = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            t.append(time.perf_counter() - t0)
        t.sort()
        return (statistics.median(t), t[len(t) // 4],
                t[min(3 * len(t) // 4, len(t) - 1)], t[0])

    def gemm_rate(M, N, K, dtype, reps):
        """Median and best rate, as muonlab bench reports them."""
        A = torch.randn(M, K).to(dtype)
        B = torch.randn(K, N).to(dtype)
        sec, _, _, tmin = timed(lambda: A @ B, reps)
        f = 2.0 * M * N * K / 1e9
        return f / sec, f / tmin

    if a.pair:
        return pair(a, torch, ns5, timed)
    if not a.noheader:
        print("# impl=pytorch torch=%s threads=%d" % (torch.__version__,
                                                    torch.get_num_threads()))
        print(",".join(COLS))
    nan = float("nan")
    big = {}
    for shape in a.shape.split(","):
        m, n = (int(v) for v in shape.lower().split("x"))
        s, l = min(m, n), max(m, n)
        torch.manual_seed(1)
        G = torch.randn(m, n)
        for prec in a.precision.split(","):
            dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[prec]
            with torch.no_grad():
                sec, q1, q3, tmin = timed(lambda: ns5(G, a.steps, dtype),
                                          a.reps)
                gemm, gemm_best = gemm_rate(s, l, s, dtype, 5)
                if prec not in big:
                    big[prec] = gemm_rate(2048, 2048, 2048, dtype, 3)
            flops = a.steps * (4.0 * s * s * l + 2.0 * s ** 3)
            gf = flops / sec / 1e9
            gf_best = flops / tmin / 1e9
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
            row = ["pytorch", "ns5", "torch", prec, m, n, 1,
                   torch.get_num_threads(), a.steps, a.reps, sec, q1, q3,
                   flops, gf, gemm, gf / gemm, big[prec][0],
                   gf / big[prec][0], nan, nan, rss, tmin,
                   gf_best / gemm_best, gf_best / big[prec][1]]
            print(",".join(repr(v) if isinstance(v, float) else str(v)
                           for v in row))
            sys.stdout.flush()
    return 0


def muonlab_time(a, shape, prec):
    """Median time of one `muonlab bench` run at this shape."""
    cmd = [a.pair, "bench", "--method", "ns5", "--shape", shape,
           "--precision", {"fp32": "fp32", "bf16": "bf16n"}[prec],
           "--backend", a.backend, "--steps", str(a.steps),
           "--reps", str(a.reps), "--format", "csv"]
    out = subprocess.run(cmd, check=True, capture_output=True,
                         text=True).stdout
    rows = [r for r in csv.DictReader(
        io.StringIO("".join(l for l in out.splitlines(True)
                            if not l.startswith("#"))))]
    if len(rows) != 1:
        raise SystemExit("bench_torch.py: %s gave %d rows" % (cmd, len(rows)))
    return float(rows[0]["time_s"])


def pair(a, torch, ns5, timed):
    print("# impl=pytorch torch=%s threads=%d, paired with %s --backend %s"
          % (torch.__version__, torch.get_num_threads(), a.pair, a.backend))
    print("shape,precision,rounds,speedup_median,speedup_min,speedup_max,"
          "speedups")
    for shape in a.shape.split(","):
        m, n = (int(v) for v in shape.lower().split("x"))
        torch.manual_seed(1)
        G = torch.randn(m, n)
        for prec in a.precision.split(","):
            dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[prec]
            ratios = []
            for _ in range(a.rounds):
                with torch.no_grad():
                    ref = timed(lambda: ns5(G, a.steps, dtype), a.reps)[0]
                ratios.append(ref / muonlab_time(a, shape, prec))
            print("%s,%s,%d,%.3f,%.3f,%.3f,%s" % (
                shape, prec, a.rounds, statistics.median(ratios),
                min(ratios), max(ratios),
                " ".join("%.2f" % r for r in ratios)))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
