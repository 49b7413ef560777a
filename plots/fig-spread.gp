# fig-spread.gp: singular-value spread of the output vs the condition
# number of the input (experiment 2): for each method the band between the
# smallest and largest output singular value, one panel per precision.
# Columns: method, precision, cond, sigma_min, sigma_max, status.
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

_col = "precision"; @UNIQUE
_precs = _list
_col = "method"; @UNIQUE
_methods = _list
_np = words(_precs)
ok2(d) = !bad("sigma_min") && !bad("sigma_max")
lo(v) = v > 1e-3 ? v : 1e-3  # zeros (rank loss) sit on the axis
stats IN using (ok2(0) ? column("sigma_max") : NaN) nooutput
_top = STATS_max * 1.15
array _nbad[_np]
do for [p=1:_np] {
    stats IN using (strcol("precision") eq word(_precs, p) && !ok2(0) ? 1 : 0) nooutput
    _nbad[p] = STATS_sum
}
# A failed cell has no result columns (no cond), so it cannot be placed:
# the title counts such cells.
stats IN using (!ok2(0) && strcol("cond") eq "" ? 1 : 0) nooutput
_nlost = STATS_sum
_lost = _nlost > 0 ? sprintf("; %d failed cells without output (see results.csv)", _nlost) : ""
set logscale x
set format x "10^{%T}"
set xlabel "condition number of the input"
set ylabel "output singular values (min..max)"
# Log y: in bf16 some lists blow up by orders of magnitude (CANS reaches
# ~70 at cond 1e4), while the fp64 bands sit within a factor of 2 of 1.
set logscale y
_bot = 1e-3
set yrange [_bot : (_top > 2 ? _top * 1.5 : 2)]
set key right top
set multiplot layout 1, _np title "Singular-value spread after orthogonalization"._lost
do for [p=1:_np] {
    _prec = word(_precs, p)
    set title "precision: "._prec
    # Method names in the first panel's key only (the bf16 panel has
    # peaks at the top); a later panel keeps a key for its failed runs.
    if (p > 1) { unset ylabel }
    if (p > 1 && _nbad[p] == 0) { unset key } else { set key right top }
    set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#888888" back
    plot for [i=1:words(_methods)] IN \
        using (strcol("precision") eq _prec && strcol("method") eq word(_methods, i) && ok2(0) ? column("cond") : NaN):(lo(column("sigma_min"))):(column("sigma_max")) \
        with filledcurves lc rgb method_color(word(_methods, i)) notitle, \
        for [i=1:words(_methods)] IN \
        using (strcol("precision") eq _prec && strcol("method") eq word(_methods, i) && ok2(0) ? column("cond") : NaN):(lo(column("sigma_min"))) \
        with lines lw 1.2 lc rgb method_color(word(_methods, i)) title (p == 1 ? word(_methods, i) : ""), \
        for [i=1:words(_methods)] IN \
        using (strcol("precision") eq _prec && strcol("method") eq word(_methods, i) && ok2(0) ? column("cond") : NaN):(column("sigma_max")) \
        with lines lw 1.2 lc rgb method_color(word(_methods, i)) notitle, \
        IN using (strcol("precision") eq _prec && !ok2(0) ? column("cond") : NaN):(_top) \
        with points pt 2 ps 1.5 lc rgb "#000000" \
        title badtitle(_nbad[p], "diverged/failed")
}
unset multiplot
