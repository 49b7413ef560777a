# fig-throughput.gp: throughput vs matrix size (experiment 3), log-log, one
# panel per aspect ratio (square, 1:4), with the machine's sgemm rate at the
# same shape, measured in the same run, as the ceiling (dashed).  Repeated
# timings of one size are averaged.
# Columns (muonlab bench): method, m, n, gflops, gemm_gflops, status.
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

_col = "method"; @UNIQUE
small(d) = column("m") < column("n") ? column("m") : column("n")
aspect(d) = (column("m") > column("n") ? column("m") / column("n") \
                                        : column("n") / column("m"))
stats IN using (bad("gflops") ? 1 : 0) nooutput
_nbad = STATS_sum
stats IN using (bad("gflops") ? NaN : column("gflops")) nooutput
_bot = STATS_min / 3
stats IN using (bad("gemm_gflops") ? NaN : column("gemm_gflops")) nooutput
_top = STATS_max * 3
# The ceiling is measured once per cell, so one shape has several readings
# spread over the file: collect them per aspect ratio first (a datablock per
# panel), then average each size with smooth unique.
# Tables are written comma-separated so they read back like the CSV, and
# start with one sacrificial row that the datafile's header setting eats.
set table $G1 separator comma
plot IN using (1):(1) every ::0::0 with table
set table $G1 append separator comma
plot IN using (small(0)):(column("gemm_gflops")) with table \
    if (abs(aspect(0) - 1) < 0.01 && !bad("gemm_gflops"))
set table $G4 separator comma
plot IN using (1):(1) every ::0::0 with table
set table $G4 append separator comma
plot IN using (small(0)):(column("gemm_gflops")) with table \
    if (abs(aspect(0) - 4) < 0.01 && !bad("gemm_gflops"))
unset table
set logscale xy
set yrange [_bot:_top]
# The x axis spans the measured sizes (log autoscale would round out to
# whole decades), with a little room at both ends.
set autoscale xfix
set offsets graph 0.05, graph 0.05, 0, 0
# Sizes are powers of two: a tic at each.
set xtics ("32" 32, "64" 64, "128" 128, "256" 256, "512" 512, "1024" 1024, "2048" 2048, "4096" 4096, "8192" 8192)
set xlabel "small side m of the m x n matrix"
set ylabel "throughput (GFLOP/s, nominal flops)"
set key left top
set multiplot layout 1, 2 title "Orthogonalizer throughput vs the same-shape sgemm rate"
# One panel per aspect ratio; unrolled because a datablock cannot be chosen
# by an expression inside a loop.
METHODS = 'for [i=1:words(_list)] IN \
    using (strcol("method") eq word(_list, i) && abs(aspect(0) - _a) < 0.01 && !bad("gflops") ? small(0) : NaN):(column("gflops")) \
    smooth unique with linespoints pt 7 ps 0.6 lw 1.5 \
    lc rgb method_color(word(_list, i)) title word(_list, i), \
    IN using (abs(aspect(0) - _a) < 0.01 && bad("gflops") ? small(0) : NaN):(_bot) \
    with points pt 2 ps 1.5 lc rgb "#000000" title badtitle(_nbad, "failed")'
CEIL = 'using 1:2 smooth unique with lines lw 2.5 dt 2 lc rgb "#444444" title "sgemm (same shape)"'
_a = 1
set title "square, m = n"
plot $G1 @CEIL, @METHODS
_a = 4
set title "1:4, n = 4m"
plot $G4 @CEIL, @METHODS
unset multiplot
