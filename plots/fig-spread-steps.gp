# fig-spread-steps.gp: polar error vs the number of iterations (experiment
# 2b): one panel per input condition number, one colour per method, fp32
# solid and bf16 dashed (other precisions dotted); repeated draws of one
# setting are averaged.  Columns: method, precision, steps, cond,
# polar_err, status.  The rows of one line must be consecutive (steps the
# last axis of the sweep): gnuplot breaks a line at every filtered-out row.
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

_col = "cond"; @UNIQUE
_conds = _list
_col = "precision"; @UNIQUE
_precs = _list
_col = "method"; @UNIQUE
_methods = _list
_nc = words(_conds)
# A failed cell has no result columns, so no cond (and gnuplot cannot
# read it from the quoted --synthetic field): such cells are counted in the
# title instead of being drawn.
is_cond(c) = strcol("cond") eq c
stats IN using (bad("polar_err") && strcol("cond") eq "" ? 1 : 0) nooutput
_nlost = STATS_sum
_lost = _nlost > 0 ? sprintf("; %d failed cells without output (see results.csv)", _nlost) : ""
stats IN using (bad("polar_err") ? NaN : column("polar_err")) nooutput
_top = STATS_max * 3
_bot = STATS_min / 3
array _nbad[_nc]
do for [c=1:_nc] {
    stats IN using (is_cond(word(_conds, c)) && bad("polar_err") ? 1 : 0) nooutput
    _nbad[c] = STATS_sum
}
if (_ext eq "png") {
    set terminal pngcairo enhanced font "Helvetica,11" size 450 * _nc + 100, 560 linewidth 1.5
    set output OUT
}
set logscale y
set format y "10^{%T}"
set yrange [_bot : _top]
set xlabel "iterations (--steps)"
set ylabel "polar error ||O - P||_F / sqrt(k)"
set key bottom left
dash(p) = word(_precs, p) eq "fp32" ? 1 : word(_precs, p) eq "bf16" ? 2 : 3
set multiplot layout 1, _nc title "Polar error vs iterations (solid: fp32, dashed: bf16)"._lost
do for [c=1:_nc] {
    _cond = word(_conds, c)
    set title sprintf("input condition number 10^{%.0f}", log10(_cond + 0))
    # Method names in the first panel's key; a panel with failed runs
    # keeps a key for their count (an empty key would draw an empty box).
    if (c > 1) { unset ylabel }
    if (c > 1 && _nbad[c] == 0) { unset key } else { set key bottom left }
    plot for [p=1:words(_precs)] for [i=1:words(_methods)] IN \
        using (strcol("cond") eq _cond && strcol("precision") eq word(_precs, p) && strcol("method") eq word(_methods, i) && !bad("polar_err") ? column("steps") : NaN):(column("polar_err")) \
        smooth unique with linespoints pt 7 ps 0.5 lw 1.3 dt dash(p) \
        lc rgb method_color(word(_methods, i)) \
        title (p == 1 && c == 1 ? word(_methods, i) : ""), \
        IN using (is_cond(_cond) && bad("polar_err") ? column("steps") : NaN):(_top) \
        with points pt 2 ps 1.5 lc rgb "#000000" \
        title badtitle(_nbad[c], "diverged/failed")
}
unset multiplot
