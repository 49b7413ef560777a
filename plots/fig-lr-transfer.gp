# fig-lr-transfer.gp: final loss vs learning rate for each width, one
# panel per LR scale mode (experiment 5); seeds of one (mode, width, lr)
# are averaged.  Diverged runs are drawn as crosses on the top edge.
# Columns: scale, width, lr, final_loss, status.
# style.gp needs the arguments (load does not pass them on).
_argc = ARGC; _arg1 = ARG1; _arg2 = ARG2
_i = strlen(ARG0); while (_i > 0 && ARG0[_i:_i] ne "/") { _i = _i - 1 }
load (_i > 0 ? ARG0[1:_i] : "")."style.gp"

_col = "scale"; @UNIQUE
_modes = _list
_col = "width"; @UNIQUE
_widths = _list
_nm = words(_modes)
_nw = words(_widths)
stats IN using (bad("final_loss") ? NaN : column("final_loss")) nooutput
_top = STATS_max * 1.4
_bot = STATS_min / 1.3
# Count the diverged runs per mode now: stats obeys the ranges set below.
array _nbad[_nm]
do for [m=1:_nm] {
    stats IN using (strcol("scale") eq word(_modes, m) && bad("final_loss") ? 1 : 0) nooutput
    _nbad[m] = STATS_sum
}
set logscale xy
# The losses span less than a decade: label 1, 2 and 5 times each power
# of 10 (only the tics inside the range show).
set ytics ()
do for [e=-6:3] {
    set ytics add (sprintf("%g", 10.0**e) 10.0**e, \
                   sprintf("%g", 2 * 10.0**e) 2 * 10.0**e, \
                   sprintf("%g", 5 * 10.0**e) 5 * 10.0**e)
}
set xlabel "learning rate"
set ylabel "final validation loss"
set yrange [_bot : _top * 1.15]
# Light to dark with width; the light end stays readable on white.
set palette defined (0 "#e6a817", 0.5 "#c73e4c", 1 "#2c115f")
unset colorbox
wcol(i) = _nw > 1 ? (i - 1.0) / (_nw - 1) : 0.5
set multiplot layout 1, _nm title "LR transfer across widths"
do for [m=1:_nm] {
    _mode = word(_modes, m)
    set title "scale mode: "._mode noenhanced
    if (m > 1) { unset ylabel }
    plot for [i=1:_nw] IN \
        using (strcol("scale") eq _mode && strcol("width") eq word(_widths, i) && !bad("final_loss") ? column("lr") : NaN):(column("final_loss")) \
        smooth unique with linespoints pt 7 ps 0.5 lc palette frac wcol(i) title "width ".word(_widths, i), \
        for [i=1:_nw] IN \
        using (strcol("scale") eq _mode && strcol("width") eq word(_widths, i) && bad("final_loss") ? column("lr") : NaN):(_top) \
        with points pt 2 ps 1.5 lc palette frac wcol(i) \
        title (i == 1 ? badtitle(_nbad[m], "diverged") : "")
}
unset multiplot
