# fig-convergence.gp: training loss vs step per optimizer (experiment 4):
# mean over seeds with a shaded 95% confidence band.  Reads the output of
# `muonlab stats --by method,step --metric loss --format csv` (muonlab plot
# computes it): columns method, step, n, n_invalid, mean, ci_lo, ci_hi.
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

set title "Convergence (mean and 95% CI over seeds)"
set xlabel "step"
set ylabel "training loss"
set key right top
_col = "method"; @UNIQUE
stats IN using (column("n_invalid") > 0 ? 1 : 0) nooutput
_nbad = STATS_sum
stats IN using (finite(column("mean")) ? column("mean") : NaN) nooutput
_top = STATS_max * 1.5
if (STATS_min > 0 && STATS_max / STATS_min > 20) { set logscale y }
# Steps where some seeds diverged: those runs are not in the mean, so a
# marker on the top edge says so.
plot for [i=1:words(_list)] IN \
    using (strcol("method") eq word(_list, i) && finite(column("ci_lo")) ? column("step") : NaN):(column("ci_lo")):(column("ci_hi")) \
    with filledcurves lc rgb method_color(word(_list, i)) notitle, \
    for [i=1:words(_list)] IN \
    using (strcol("method") eq word(_list, i) ? column("step") : NaN):(column("mean")) \
    with lines lw 1.5 lc rgb method_color(word(_list, i)) title word(_list, i), \
    IN using (column("n_invalid") > 0 ? column("step") : NaN):(_top) \
    with points pt 2 ps 0.8 lc rgb "#000000" \
    title badtitle(_nbad, "steps with diverged runs")
