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
_top = STATS_max * 2
_bot = STATS_min / 1.5
# Count the diverged runs per mode now: stats obeys the ranges set below.
array _nbad[_nm]
do for [m=1:_nm] {
    stats IN using (strcol("scale") eq word(_modes, m) && bad("final_loss") ? 1 : 0) nooutput
    _nbad[m] = STATS_sum
}
set logscale xy
set xlabel "learning rate"
set ylabel "final training loss"
set yrange [_bot : _top * 1.5]
set palette defined (0 "#fde725", 0.5 "#21918c", 1 "#440154")
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
