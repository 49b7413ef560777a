# fig-scalar-maps.gp: the composed scalar map p(x) of every method on
# [1e-4, 1.2] (experiment 1); log x because small singular values are
# where the methods differ.  Columns: method, x, px.
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

set title "Composed scalar maps of the orthogonalizers"
set xlabel "input singular value x (after normalisation)"
set ylabel "output singular value p(x)"
set logscale x
set format x "10^{%T}"
set xrange [1e-4:1.2]
# Fixed y range: maps without a safety factor explode just above x = 1
# (CANS reaches ~1e161 at 1.02), which would flatten every other curve.
# Points beyond the range are clipped at the frame, not dropped.
set yrange [0:1.6]
set clip two
set key left top
_col = "method"; @UNIQUE
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#888888" back
plot for [i=1:words(_list)] IN \
    using (strcol("method") eq word(_list, i) ? column("x") : NaN):(column("px")) \
    with lines lw 1.5 lc rgb method_color(word(_list, i)) title word(_list, i)
