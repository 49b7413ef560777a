# fig-throughput.gp: throughput vs matrix size (experiment 3), log-log,
# with the machine's sgemm ceiling (rows with method "sgemm").  Repeated
# timings of one size are averaged.  Columns: method, n, gflops, status.
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

set title "Orthogonalizer throughput"
set xlabel "matrix size n (n x n)"
set ylabel "throughput (GFLOP/s)"
set logscale xy
set key left top
_col = "method"; @UNIQUE
# The sgemm ceiling is drawn thick and dashed so it reads as a bound.
mwidth(m) = m eq "sgemm" ? 2.5 : 1.5
mdash(m) = m eq "sgemm" ? 2 : 1
mtitle(m) = m eq "sgemm" ? "sgemm ceiling" : m
stats IN using (bad("gflops") ? 1 : 0) nooutput
_nbad = STATS_sum
stats IN using (bad("gflops") ? NaN : column("gflops")) nooutput
_bot = STATS_min / 3
plot for [i=1:words(_list)] IN \
    using (strcol("method") eq word(_list, i) && !bad("gflops") ? column("n") : NaN):(column("gflops")) \
    smooth unique with linespoints pt 7 ps 0.6 \
    lw mwidth(word(_list, i)) dt mdash(word(_list, i)) \
    lc rgb method_color(word(_list, i)) title mtitle(word(_list, i)), \
    IN using (bad("gflops") ? column("n") : NaN):(_bot) \
    with points pt 2 ps 1.5 lc rgb "#000000" title badtitle(_nbad, "failed")
