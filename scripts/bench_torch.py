#!/usr/bin/env python3
"""bench_torch.py: the PyTorch reference (KellerJordan's
zeropower_via_newtonschulz5, re-typed from muon.py) timed at muonlab bench's
shapes, printed as CSV rows in `muonlab bench`'s columns (impl = pytorch), so
they can be appended to its CSV:

    muonlab bench --format csv ... > out.csv
    scripts/bench_torch.py --shape 1024x4096 --precision fp32,bf16 --noheader >> out.csv

Exits 0 with a message on stderr when torch is not installed (Debian:
apt-get install python3-torch); the tests never need it.
"""
import argparse
import resource
import statistics
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
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("bench_torch.py: torch is not installed (apt-get install "
              "python3-torch); no reference rows", file=sys.stderr)
        return 0

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


if __name__ == "__main__":
    sys.exit(main())
