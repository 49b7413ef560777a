# fig-coeffs.gp: coefficient ablation (experiment 6): worst-case deviation
# of the composed map from 1 on [lower, 1] against the number of steps,
# one line per schedule.  Columns: method, steps, error, status.
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

set title "Coefficient schedules: distance from orthogonal vs steps"
set xlabel "Newton-Schulz steps"
set ylabel "max_{x in [l,1]} |p(x) - 1|"
set logscale y
set format y "10^{%T}"
set xtics 1
set key right top
_col = "method"; @UNIQUE
stats IN using (bad("error") ? 1 : 0) nooutput
_nbad = STATS_sum
stats IN using (bad("error") ? NaN : column("error")) nooutput
_top = STATS_max * 3
plot for [i=1:words(_list)] IN \
    using (strcol("method") eq word(_list, i) && !bad("error") ? column("steps") : NaN):(column("error")) \
    smooth unique with linespoints pt 7 ps 0.6 lc rgb method_color(word(_list, i)) title word(_list, i), \
    IN using (bad("error") ? column("steps") : NaN):(_top) \
    with points pt 2 ps 1.5 lc rgb "#000000" title badtitle(_nbad, "diverged/failed")
